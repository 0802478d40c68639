import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthPanel } from './HealthPanel';

afterEach(cleanup);

describe('HealthPanel', () => {
  it('says it is checking before the first answer', () => {
    render(<HealthPanel health={null} />);
    expect(screen.getByText('Checking…')).toBeTruthy();
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('shows one badge per check, the database one with its reason', () => {
    render(
      <HealthPanel
        health={{
          liveness: { state: 'up' },
          readiness: { state: 'unavailable', reason: 'database unreachable: ECONNREFUSED' },
          checkedAt: new Date(),
        }}
      />,
    );
    const [liveness, readiness] = screen.getAllByRole('status');
    expect(liveness.textContent).toBe('Up');
    expect(readiness.textContent).toBe('Unavailabledatabase unreachable: ECONNREFUSED');
  });
});
