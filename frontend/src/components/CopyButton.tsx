import { useState } from 'react';

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 2_000);
    } catch {
      // No clipboard permission (an http page): the text stays selectable beside the button.
      setCopied(false);
    }
  };
  return (
    <button type="button" onClick={() => void copy()}>
      {copied ? 'Copied' : label}
    </button>
  );
}
