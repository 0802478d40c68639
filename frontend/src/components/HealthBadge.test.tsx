import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { StatusBadge } from './StatusBadge';

afterEach(cleanup);

describe('StatusBadge', () => {
  it.each([
    ['up', 'Up'],
    ['unavailable', 'Unavailable'],
    ['unreachable', 'Unreachable'],
  ] as const)('labels the %s state and styles it', (state, label) => {
    render(<StatusBadge state={state} />);
    expect(screen.getByRole('status').textContent).toBe(label);
    expect(screen.getByRole('status').className).toContain(`badge-${state}`);
  });

  it('shows the reason the server gave', () => {
    render(<StatusBadge state="unavailable" reason="database unreachable: ECONNREFUSED" />);
    expect(screen.getByRole('status').textContent).toContain('ECONNREFUSED');
  });
});
