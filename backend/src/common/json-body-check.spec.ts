import { MAX_JSON_DEPTH, scanJsonBody, unstorableJson } from './json-body-check';

const nestedObjects = (levels: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = { k: value };
  return value;
};

describe('unstorableJson', () => {
  it('passes ordinary bodies, scalars and empty containers', () => {
    for (const body of [{ payload: { a: [1, 'two', null, { b: true }] } }, [], {}, 'text', 7, null])
      expect(unstorableJson(body)).toBeUndefined();
  });

  it(`takes ${MAX_JSON_DEPTH} levels of containers and refuses one more, naming the place`, () => {
    expect(unstorableJson(nestedObjects(MAX_JSON_DEPTH))).toBeUndefined();
    const problem = unstorableJson(nestedObjects(MAX_JSON_DEPTH + 1));
    expect(problem?.field).toBe(Array(MAX_JSON_DEPTH).fill('k').join('.'));
    expect(problem?.message).toMatch(/deeper than 64/);
  });

  it('finds a NUL in a value or in a key, however deep, and names where', () => {
    expect(unstorableJson({ jobs: [{}, { payload: { list: ['ok', 'bad\u0000'] } }] })).toEqual({
      field: 'jobs.1.payload.list.1',
      message: 'jobs.1.payload.list.1 contains a NUL (\\u0000) character',
    });
    expect(unstorableJson({ payload: { 'a\u0000': 1 } })).toEqual({
      field: 'payload',
      message: 'a key in payload contains a NUL (\\u0000) character',
    });
    expect(unstorableJson('\u0000')?.field).toBe('(body)');
  });

  it('finds a lone UTF-16 surrogate in a value or in a key, and names where', () => {
    expect(unstorableJson({ payload: { note: 'ok \ud83d\ude00', bad: 'x\ud800y' } })).toEqual({
      field: 'payload.bad',
      message: 'payload.bad contains a lone UTF-16 surrogate (\\ud800), which is not valid Unicode',
    });
    expect(unstorableJson({ jobs: [{ payload: ['\udfff'] }] })?.field).toBe('jobs.0.payload.0');
    expect(unstorableJson({ jobs: [{ payload: ['\ud83d'] }] })?.field).toBe('jobs.0.payload.0');
    expect(unstorableJson({ payload: { ['k\udc00']: 1 } })?.message).toBe(
      'a key in payload contains a lone UTF-16 surrogate (\\udc00), which is not valid Unicode',
    );
    expect(unstorableJson({ emoji: '\ud83d\ude00', astral: '\u{1F600}' })).toBeUndefined();
  });
});

describe('scanJsonBody', () => {
  it('tells whether a name of Object.prototype is a key anywhere in the body', () => {
    expect(scanJsonBody({ jobs: [{ payload: { a: [1, { b: 'c' }] } }] })).toEqual({ prototypeKeys: false });
    for (const key of ['toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'])
      expect(scanJsonBody(JSON.parse(`{"jobs":[{"payload":{"a":[{"${key}":1}]}}]}`))).toEqual({
        prototypeKeys: true,
      });
    expect(scanJsonBody({ toString: { ok: 1 }, bad: 'x\u0000' }).problem?.field).toBe('bad');
  });

  it('refuses the keys the validation pipe would delete, naming their place', () => {
    for (const key of ['__proto__', 'prototype', 'constructor'])
      expect(scanJsonBody(JSON.parse(`{"jobs":[{"payload":{"a":[{"${key}":1}]}}]}`)).problem).toEqual({
        field: `jobs.0.payload.a.0.${key}`,
        message: `jobs.0.payload.a.0.${key}: keys named __proto__, constructor or prototype are refused`,
      });
    expect(scanJsonBody({ constructor_name: 1, proto: 2, __proto: 3 })).toEqual({ prototypeKeys: false });
  });
});
