import { Transform, type TransformFnParams } from 'class-transformer';

/**
 * class-transformer rebuilds a plain object key by key, and leaves out keys named like a member
 * of Object.prototype (`toString`, `valueOf`, `hasOwnProperty`, …): in a free-form JSON field (a
 * job's payload) that silently lost data the API had accepted. A field marked with
 * this decorator is handed on exactly as it was sent. The validation fast path knows this
 * transform for the identity it is (fast-validation.ts).
 */
export function keepAsSent({ obj, key }: TransformFnParams): unknown {
  return (obj as Record<string, unknown>)[key];
}

export function KeptAsSent(): PropertyDecorator {
  return Transform(keepAsSent, { toClassOnly: true });
}
