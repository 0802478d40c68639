import Ajv, { type ValidateFunction } from 'ajv';
import { TransformationType } from 'class-transformer';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage } from 'class-validator';
import { keepAsSent } from './kept-as-sent';

/**
 * A fast path for the validation pipe: a JSON Schema compiled (by ajv) from a DTO's
 * class-validator rules, which accepts only bodies those rules accept. The pipe takes a body it
 * accepts as it is, and gives anything else to class-validator, which names every problem: the
 * schema decides nothing but "certainly valid". Every rule is translated to one at least as
 * strict, and a rule with no such twin makes its property fall back whenever it is present (or
 * the whole DTO, when the property is required). On a batch of 1,000 jobs class-validator and
 * class-transformer took two thirds of the API's CPU. See docs/http-stack.md.
 */

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- class-validator's own type for a DTO class
export type DtoClass = Function;
type Schema = boolean | { [keyword: string]: unknown };

/** class-validator's `name` of a custom rule → a schema no looser than it. */
const RULES: Record<string, (constraints: unknown[]) => Schema> = {
  isString: () => ({ type: 'string' }),
  isInt: () => ({ type: 'integer' }),
  // isObject: not null, not an array; JSON has no functions.
  isObject: () => ({ type: 'object' }),
  isArray: () => ({ type: 'array' }),
  min: ([limit]) => (typeof limit === 'number' ? { type: 'number', minimum: limit } : false),
  max: ([limit]) => (typeof limit === 'number' ? { type: 'number', maximum: limit } : false),
  arrayMinSize: ([size]) => (typeof size === 'number' ? { type: 'array', minItems: size } : false),
  arrayMaxSize: ([size]) => (typeof size === 'number' ? { type: 'array', maxItems: size } : false),
  // validator.js counts code points less variation selectors; ajv counts code points, never
  // fewer. So maxLength is at least as strict; a minimum above 1 is not (any non-empty string
  // is at least 1 by both counts).
  isLength: ([min, max]) =>
    (min === undefined || min === 0 || min === 1) && (max === undefined || typeof max === 'number')
      ? {
          type: 'string',
          ...(min === 1 ? { minLength: 1 } : {}),
          ...(max === undefined ? {} : { maxLength: max }),
        }
      : false,
};

const NOT_NULL = { not: { type: 'null' } };

/** Nested DTOs' schemas under `$defs`, each class under a name of its own. */
interface Defs {
  schemas: Record<string, Schema>;
  names: Map<DtoClass, string>;
}

/** The schema of a DTO's properties, its nested DTOs added to `defs`. */
function objectSchema(dto: DtoClass, defs: Defs): Schema {
  const ownMethods = Object.getOwnPropertyNames(dto.prototype).filter((name) => name !== 'constructor');
  // The fast path hands on the body as plain data: a DTO with behaviour, or whose class-transformer
  // step would change values, always goes through the pipe.
  if (ownMethods.length > 0 || defaultMetadataStorage.getStrategy(dto) !== 'none') return false;
  const storage = getMetadataStorage();
  const byProperty = storage.groupByPropertyName(
    storage.getTargetValidationMetadatas(dto, '', false, false, undefined),
  );
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [property, rules] of Object.entries(byProperty)) {
    let optional = false;
    const parts: Schema[] = [];
    for (const rule of rules) {
      if (rule.type === 'conditionalValidation') {
        // IsOptional skips the rules for null and undefined; leaving the property out is the
        // strict half of that (null falls back). Any other condition (ValidateIf) is dropped:
        // applying the rules always is stricter than applying them sometimes.
        if (rule.name === 'isOptional') optional = true;
      } else if (rule.type === 'isDefined') parts.push(NOT_NULL);
      else if (rule.type === 'whitelistValidation') parts.push(true);
      else if (rule.type === 'nestedValidation') parts.push(nestedSchema(dto, property, defs));
      else if (rule.type === 'customValidation' && !rule.each && rule.name && RULES[rule.name])
        parts.push(RULES[rule.name](rule.constraints ?? []));
      else parts.push(false);
    }
    const transforms = defaultMetadataStorage
      .findTransformMetadatas(dto, property, TransformationType.PLAIN_TO_CLASS)
      .filter((transform) => transform.transformFn !== keepAsSent);
    const retyped =
      rules.every((rule) => rule.type !== 'nestedValidation') &&
      defaultMetadataStorage.findTypeMetadata(dto, property);
    if (transforms.length > 0 || retyped) parts.push(false);
    properties[property] = parts.includes(false) ? false : { allOf: parts };
    if (!optional) required.push(property);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

/** A nested DTO (class-transformer's @Type), or an array of them, by reference. */
function nestedSchema(dto: DtoClass, property: string, defs: Defs): Schema {
  const nested = defaultMetadataStorage.findTypeMetadata(dto, property)?.typeFunction() as
    DtoClass | undefined;
  if (typeof nested !== 'function') return false;
  let name = defs.names.get(nested);
  if (name === undefined) {
    name = `${nested.name || 'Dto'}${defs.names.size}`;
    defs.names.set(nested, name); // before it is built: a DTO may nest itself
    defs.schemas[name] = objectSchema(nested, defs);
  }
  const ref = { $ref: `#/$defs/${name}` };
  return { anyOf: [{ type: 'array', items: ref }, { allOf: [{ type: 'object' }, ref] }] };
}

/** The JSON Schema of a DTO's rules, as the fast path checks bodies against it. */
export function dtoSchema(dto: DtoClass): Schema {
  const defs: Defs = { schemas: {}, names: new Map() };
  const root = objectSchema(dto, defs);
  return typeof root === 'boolean' ? root : { ...root, $defs: defs.schemas };
}

const ajv = new Ajv({ allErrors: false, strict: true });

/** The fast check of a DTO, compiled (a few ms: done when the pipe is made, not on a request). */
export function compileFastCheck(dto: DtoClass): ValidateFunction {
  return ajv.compile(dtoSchema(dto));
}

/**
 * Bodies parsed from JSON with no key the validation pipe would drop (`__proto__`,
 * `prototype`, or any other name of Object.prototype, anywhere; see scanJsonBody): only these
 * may skip it. JSON has no sparse arrays, binary values or class instances either, which the
 * pipe also treats apart. The controller then gets a plain object holding the fields sent,
 * where the pipe gives an instance whose unsent fields are own properties set to undefined:
 * the same for every read of a field, which is all the submission code does.
 */
const plainJsonBodies = new WeakSet<object>();

export function markPlainJsonBody(body: object): void {
  plainJsonBodies.add(body);
}

export function isPlainJsonBody(value: unknown): value is object {
  return typeof value === 'object' && value !== null && plainJsonBodies.has(value);
}
