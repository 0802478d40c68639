import { act, renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useKeysetPages } from './keysetPages';

describe('useKeysetPages', () => {
  it('walks older by next_cursor, back newer, and starts again when the filters change', () => {
    const first = { status: 'dead' };
    const { result, rerender } = renderHook(({ filters }) => useKeysetPages(filters), {
      initialProps: { filters: first },
    });
    expect(result.current).toMatchObject({ cursor: null, number: 1 });
    act(() => result.current.older('c2'));
    act(() => result.current.older('c3'));
    expect(result.current).toMatchObject({ cursor: 'c3', number: 3 });
    act(() => result.current.newer());
    expect(result.current).toMatchObject({ cursor: 'c2', number: 2 });
    rerender({ filters: first });
    expect(result.current.number).toBe(2);
    rerender({ filters: { status: 'pending' } });
    expect(result.current).toMatchObject({ cursor: null, number: 1 });
  });
});
