/** A JSON value, indented, in a scrollable block; `null`/undefined say so rather than print "null". */
export function JsonView({ value, label }: { value: unknown; label: string }) {
  if (value === undefined || value === null) return <p className="muted">No {label.toLowerCase()}</p>;
  return (
    <pre className="json" aria-label={label} tabIndex={0}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}
