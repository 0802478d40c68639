import { prefersMinimalReturn } from './prefer-header';

describe('prefersMinimalReturn', () => {
  it.each([
    'return=minimal',
    'RETURN=Minimal',
    ' return = minimal ',
    'return="minimal"',
    'respond-async, return=minimal',
    'return=minimal; foo=bar',
    'wait=10,return=minimal',
  ])('reads %j as minimal', (header) => expect(prefersMinimalReturn(header)).toBe(true));

  it.each([
    undefined,
    '',
    'return=representation',
    'return',
    'minimal',
    'return=minimalist',
    'x-return=minimal',
  ])('reads %j as not minimal', (header) => expect(prefersMinimalReturn(header)).toBe(false));

  it('reads every Prefer header of a request', () => {
    expect(prefersMinimalReturn(['respond-async', 'return=minimal'])).toBe(true);
    expect(prefersMinimalReturn(['respond-async', 'wait=5'])).toBe(false);
  });
});
