/**
 * Whether a request's Prefer header (RFC 7240) asks for `return=minimal`. Preferences are
 * comma-separated, each `name[=value]` with optional `;` parameters; names and this value are
 * compared case-insensitively, a quoted value is unquoted, and any other preference is ignored,
 * as the RFC asks. The header is bounded by Node's header size limit.
 */
export function prefersMinimalReturn(header: string | string[] | undefined): boolean {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return values.some((value) =>
    value.split(',').some((preference) => {
      const [name, ...rest] = preference.split(';')[0].split('=');
      const wanted = rest
        .join('=')
        .trim()
        .replace(/^"(.*)"$/, '$1');
      return name.trim().toLowerCase() === 'return' && wanted.toLowerCase() === 'minimal';
    }),
  );
}
