import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from './App';

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});

describe('App API-key gate', () => {
  it('asks for a key, keeps it in sessionStorage, and forgets it', () => {
    render(<App />);
    const submit = screen.getByRole('button', { name: 'Open dashboard' }) as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('API key'), { target: { value: '  cvr_secret  ' } });
    fireEvent.click(submit);
    expect(sessionStorage.getItem('conveyor.apiKey')).toBe('cvr_secret');
    expect(screen.queryByLabelText('API key')).toBeNull();
    expect(screen.getByRole('heading', { name: 'Service health' })).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Forget key' }));
    expect(sessionStorage.getItem('conveyor.apiKey')).toBeNull();
    expect(screen.getByLabelText('API key')).toBeTruthy();
  });

  it('opens straight on the dashboard when this tab already holds a key (a reload)', () => {
    sessionStorage.setItem('conveyor.apiKey', 'cvr_secret');
    render(<App />);
    expect(screen.queryByLabelText('API key')).toBeNull();
    expect(screen.getByRole('button', { name: 'Forget key' })).toBeTruthy();
  });
});
