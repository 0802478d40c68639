/** What the payload editor holds: a JSON object, or why it is not one (shown before sending). */
export type ParsedPayload = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

export function parsePayload(text: string): ParsedPayload {
  if (text.trim() === '') return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Not valid JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, error: 'The payload must be a JSON object ({ … })' };
  return { ok: true, value: value as Record<string, unknown> };
}
