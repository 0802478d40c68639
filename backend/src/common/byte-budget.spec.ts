import { ByteBudget } from './byte-budget';

describe('ByteBudget', () => {
  it('grants holds while they fit, then in order as bytes are released', async () => {
    const budget = new ByteBudget(10);
    const a = budget.hold(6);
    const b = budget.hold(6);
    const c = budget.hold(2);
    expect(await a.ready).toBe(true);
    const granted: string[] = [];
    void b.ready.then(() => granted.push('b'));
    void c.ready.then(() => granted.push('c'));
    await Promise.resolve();
    // c would fit, but waits behind b: first come, first served.
    expect({ held: budget.held, granted }).toEqual({ held: 6, granted: [] });
    a.release();
    await Promise.all([b.ready, c.ready]);
    expect({ held: budget.held, granted }).toEqual({ held: 8, granted: ['b', 'c'] });
  });

  it('grants a hold larger than the whole budget once nothing else is held', async () => {
    const budget = new ByteBudget(10);
    const small = budget.hold(3);
    const huge = budget.hold(50);
    let hugeGranted = false;
    void huge.ready.then(() => (hugeGranted = true));
    await Promise.resolve();
    expect(hugeGranted).toBe(false);
    small.release();
    expect(await huge.ready).toBe(true);
    expect(budget.held).toBe(50);
  });

  it('settles a waiting hold released before its turn as not granted, and lets the next one on', async () => {
    const budget = new ByteBudget(10);
    const a = budget.hold(10);
    const gone = budget.hold(10);
    const next = budget.hold(10);
    gone.release();
    expect(await gone.ready).toBe(false);
    a.release();
    a.release(); // twice: no bytes given back twice
    expect(await next.ready).toBe(true);
    expect(budget.held).toBe(10);
    next.release();
    expect(budget.held).toBe(0);
  });
});
