import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionIndicator } from './ConnectionIndicator';

afterEach(cleanup);

describe('ConnectionIndicator', () => {
  it.each([
    ['live', 'Live'],
    ['reconnecting', 'Reconnecting…'],
    ['offline', 'Offline'],
    ['refused', 'Key refused'],
  ] as const)('shows %s as "%s"', (state, label) => {
    render(<ConnectionIndicator state={state} />);
    const indicator = screen.getByRole('status', { name: 'live connection' });
    expect(indicator.textContent).toBe(label);
    expect(indicator.className).toContain(`connection-${state}`);
  });
});
