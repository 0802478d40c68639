import { describe, expect, it } from 'vitest';
import { parsePayload } from './jsonField';

describe('parsePayload', () => {
  it('takes a JSON object, and an empty editor as {}', () => {
    expect(parsePayload('{"to": "a@example.com"}')).toEqual({ ok: true, value: { to: 'a@example.com' } });
    expect(parsePayload('  ')).toEqual({ ok: true, value: {} });
  });

  it('says why text is not a payload', () => {
    const broken = parsePayload('{"to": ');
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.error).toMatch(/^Not valid JSON/);
    expect(parsePayload('[1, 2]')).toEqual({ ok: false, error: 'The payload must be a JSON object ({ … })' });
    expect(parsePayload('"text"')).toEqual({ ok: false, error: 'The payload must be a JSON object ({ … })' });
  });
});
