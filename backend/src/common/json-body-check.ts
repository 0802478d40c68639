import { type FieldProblem } from './api-error';

/**
 * Deeper JSON than this is refused: the ValidationPipe's class-transformer step walks bodies
 * recursively and overflowed the stack (a 500) on 2,000 levels, a body of only 4 KB.
 */
export const MAX_JSON_DEPTH = 64;

/** PostgreSQL stores neither a NUL in text nor the \u0000 escape in jsonb. */
const NUL = '\u0000';

/**
 * A high surrogate not followed by a low one, or a low one without a high one before it: JSON's
 * `\ud800` escape parses into such a string, which jsonb refuses (22P02/22P05) only at insert.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function loneSurrogateOf(text: string): string | undefined {
  const found = LONE_SURROGATE.exec(text)?.[0];
  return found === undefined ? undefined : `\\u${found.charCodeAt(0).toString(16)}`;
}

interface Visit {
  value: unknown;
  depth: number;
  key?: string | number;
  parent?: Visit;
}

/** `jobs.3.payload.note`, as class-validator names nested fields; built only for a problem. */
function fieldOf(visit: Visit): string {
  const keys: Array<string | number> = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) keys.unshift(at.key);
  return keys.length === 0 ? '(body)' : keys.join('.');
}

const surrogateText = (escaped: string): string =>
  `a lone UTF-16 surrogate (${escaped}), which is not valid Unicode`;

function problem(visit: Visit, message: (field: string) => string): FieldProblem {
  const field = fieldOf(visit);
  return { field, message: message(field) };
}

/**
 * Keys the validation pipe would delete wherever they are in a body (its guard against prototype
 * pollution): a body holding one is refused, naming the place, rather than stored without it.
 */
const REFUSED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The other names of Object.prototype (`toString`, `valueOf`, …), which class-transformer skips
 * when it copies a nested object: free-form fields are kept as sent (kept-as-sent.ts), and a body
 * holding one of these keys never takes the validation fast path (fast-validation.ts), so that
 * every other field is handed on the same either way.
 */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * The first problem of a parsed JSON body that no route could store: nesting deeper than
 * MAX_JSON_DEPTH, a NUL character or a lone UTF-16 surrogate in a string or key, or one of
 * REFUSED_KEYS. Found here, before validation, it is a 400 naming its place; found by PostgreSQL
 * (or by the pipe), it would fail a whole batch without saying which item (or be dropped). Walks
 * iteratively, so that depth cannot overflow this check itself.
 */
export function unstorableJson(body: unknown): FieldProblem | undefined {
  return scanJsonBody(body).problem;
}

/** unstorableJson's walk, which also tells whether any key is one of PROTOTYPE_KEYS. */
export function scanJsonBody(body: unknown): { problem?: FieldProblem; prototypeKeys: boolean } {
  let prototypeKeys = false;
  const stack: Visit[] = [{ value: body, depth: 0 }];
  const refuse = (visit: Visit, message: (field: string) => string) => ({
    problem: problem(visit, message),
    prototypeKeys,
  });
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const { value, depth } = visit;
    if (typeof value === 'string') {
      if (value.includes(NUL)) return refuse(visit, (field) => `${field} contains a NUL (\\u0000) character`);
      const surrogate = loneSurrogateOf(value);
      if (surrogate) return refuse(visit, (field) => `${field} contains ${surrogateText(surrogate)}`);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_JSON_DEPTH)
      return refuse(visit, (field) => `JSON nested deeper than ${MAX_JSON_DEPTH} levels, at ${field}`);
    if (Array.isArray(value)) {
      value.forEach((item, index) =>
        stack.push({ value: item, depth: depth + 1, key: index, parent: visit }),
      );
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (key.includes(NUL))
        return refuse(visit, (field) => `a key in ${field} contains a NUL (\\u0000) character`);
      const surrogate = loneSurrogateOf(key);
      if (surrogate)
        return refuse(visit, (field) => `a key in ${field} contains ${surrogateText(surrogate)}`);
      const child = { value: item, depth: depth + 1, key, parent: visit };
      if (REFUSED_KEYS.has(key))
        return refuse(
          child,
          (field) => `${field}: keys named __proto__, constructor or prototype are refused`,
        );
      if (PROTOTYPE_KEYS.has(key)) prototypeKeys = true;
      stack.push(child);
    }
  }
  return { prototypeKeys };
}
