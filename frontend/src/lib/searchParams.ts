import { useSearchParams } from 'react-router';

/**
 * The page's query string, and a setter that sets each named parameter or, given an empty value,
 * removes it: how list filters live in the URL, so a filtered view can be linked to.
 */
export function useSearchParamsPatch(): [
  URLSearchParams,
  (patch: Record<string, string | undefined>) => void,
] {
  const [params, setParams] = useSearchParams();
  const patch = (values: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(values)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
    setParams(next);
  };
  return [params, patch];
}
