import { ByteBudget } from './byteBudget';

describe('ByteBudget', () => {
  it('grants while there is room, then in arrival order as bytes come back', async () => {
    const budget = new ByteBudget(100);
    expect(await budget.take(60, 1_000)).toBe(true);
    const order: string[] = [];
    const second = budget.take(50, 10_000).then((granted) => order.push(`second ${granted}`));
    const third = budget.take(10, 10_000).then((granted) => order.push(`third ${granted}`));
    await Promise.resolve();
    expect(order).toEqual([]); // the third would fit, but waits behind the second
    budget.release(60);
    await Promise.all([second, third]);
    expect(order).toEqual(['second true', 'third true']);
    expect(budget.stats).toEqual({ held: 60, peak: 60, total: 100 });
  });

  it('gives up after the wait, and lets those behind go on', async () => {
    const budget = new ByteBudget(100);
    await budget.take(90, 1_000);
    const tooBig = budget.take(50, 20);
    const small = budget.take(10, 10_000);
    expect(await tooBig).toBe(false);
    expect(await small).toBe(true);
    expect(budget.stats.held).toBe(100);
  });

  it('grants a take larger than the whole budget only when nothing else is held', async () => {
    const budget = new ByteBudget(100);
    expect(await budget.take(500, 1_000)).toBe(true);
    expect(await budget.take(1, 20)).toBe(false);
    budget.release(500);
    expect(await budget.take(1, 20)).toBe(true);
  });
});
