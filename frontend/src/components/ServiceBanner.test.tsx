import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceStatus } from '../lib/serviceStatus';
import { ServiceBanner } from './ServiceBanner';

afterEach(() => {
  cleanup();
  serviceStatus.reset();
});

describe('ServiceBanner', () => {
  it('says nothing while all is well', () => {
    render(<ServiceBanner />);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says the service is unavailable, unreachable or rate limiting, and goes when it recovers', () => {
    render(<ServiceBanner />);
    act(() => serviceStatus.setUnavailable('database unreachable'));
    expect(screen.getByRole('alert').textContent).toContain('database unreachable');
    act(() => {
      serviceStatus.setUnavailable(null);
      serviceStatus.setRateLimitedUntil(Date.now() + 5_000);
    });
    expect(screen.getByRole('alert').textContent).toMatch(/Rate limited by the API: trying again in [4-6] s/);
    act(() => serviceStatus.setRateLimitedUntil(null));
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
