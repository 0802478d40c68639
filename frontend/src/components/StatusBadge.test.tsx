import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { StatusBadge } from './StatusBadge';

afterEach(cleanup);

describe('StatusBadge', () => {
  it.each([
    ['pending', 'Pending'],
    ['running', 'Running'],
    ['failed', 'Retrying'],
    ['completed', 'Completed'],
    ['dead', 'Dead'],
    ['cancelled', 'Cancelled'],
  ] as const)('labels %s as "%s" and styles it', (status, label) => {
    render(<StatusBadge status={status} />);
    const badge = screen.getByText(label);
    expect(badge.className).toContain(`status-${status}`);
  });
});
