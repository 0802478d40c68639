import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthBadge } from './HealthBadge';

afterEach(cleanup);

describe('HealthBadge', () => {
  it.each([
    ['up', 'Up'],
    ['unavailable', 'Unavailable'],
    ['unreachable', 'Unreachable'],
  ] as const)('labels the %s state and styles it', (state, label) => {
    render(<HealthBadge state={state} />);
    expect(screen.getByRole('status').textContent).toBe(label);
    expect(screen.getByRole('status').className).toContain(`badge-${state}`);
  });

  it('shows the reason the server gave', () => {
    render(<HealthBadge state="unavailable" reason="database unreachable: ECONNREFUSED" />);
    expect(screen.getByRole('status').textContent).toContain('ECONNREFUSED');
  });
});
