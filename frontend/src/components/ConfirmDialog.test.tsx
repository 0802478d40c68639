import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfirmDialog } from './ConfirmDialog';

afterEach(cleanup);

describe('ConfirmDialog', () => {
  it('asks its question when open and answers through its buttons', () => {
    const onConfirm = vi.fn();
    const onCancel = vi.fn();
    const props = {
      title: 'Retry these jobs?',
      message: 'Retry 3 dead jobs?',
      confirmLabel: 'Retry 3',
      onConfirm,
      onCancel,
    };
    const { rerender } = render(<ConfirmDialog open={false} {...props} />);
    expect(screen.queryByRole('dialog')).toBeNull();
    rerender(<ConfirmDialog open {...props} />);
    expect(screen.getByRole('dialog').textContent).toContain('Retry 3 dead jobs?');
    fireEvent.click(screen.getByRole('button', { name: 'Retry 3' }));
    expect(onConfirm).toHaveBeenCalledOnce();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onCancel).toHaveBeenCalledOnce();
  });
});
