import { Deadlines } from './deadlines';

describe('Deadlines: one timer for many time limits', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('expires each deadline when it passes, the earliest first, re-arming for an earlier one that arrives later', async () => {
    const start = performance.now();
    const open = new Map([
      ['late', start + 120],
      ['early', start + 40],
    ]);
    const expired: Array<[string, number]> = [];
    const deadlines = new Deadlines((now) => {
      let next = Infinity;
      for (const [name, deadline] of open)
        if (deadline <= now) {
          expired.push([name, now - start]);
          open.delete(name);
        } else next = Math.min(next, deadline);
      return next;
    });
    deadlines.watch(start + 120); // armed for 'late'
    deadlines.watch(start + 40); // earlier: re-armed
    await sleep(200);
    // Without the re-arm both would expire together at 120 ms, 'late' first (the map's order).
    expect(expired.map(([name]) => name)).toEqual(['early', 'late']);
    expect(expired[0][1]).toBeGreaterThanOrEqual(40);
    expect(expired[1][1]).toBeGreaterThanOrEqual(120);
    deadlines.close();
  });

  it('fires nothing after close', async () => {
    let fired = 0;
    const deadlines = new Deadlines(() => {
      fired++;
      return Infinity;
    });
    deadlines.watch(performance.now() + 20);
    deadlines.close();
    await sleep(60);
    expect(fired).toBe(0);
  });
});
