import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ProgressBar } from './ProgressBar';

afterEach(cleanup);

describe('ProgressBar', () => {
  it('exposes its value as a progressbar, clamped to 0-100', () => {
    const { rerender } = render(<ProgressBar value={42.4} label="progress" />);
    const bar = screen.getByRole('progressbar', { name: 'progress' });
    expect(bar.getAttribute('aria-valuenow')).toBe('42');
    expect(bar.textContent).toBe('42%');
    rerender(<ProgressBar value={140} label="progress" />);
    expect(bar.getAttribute('aria-valuenow')).toBe('100');
  });
});
