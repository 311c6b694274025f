import { WorkSlots } from './workSlots';

describe('WorkSlots', () => {
  it('works on at most its limit at once, and on every one in the end', async () => {
    const slots = new WorkSlots(2);
    let running = 0;
    let most = 0;
    const finished: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((index) =>
        slots.run(async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((resolve) => setImmediate(resolve));
          running--;
          finished.push(index);
        }),
      ),
    );
    expect(most).toBe(2);
    expect(finished.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(slots.inUse).toBe(0);
  });

  it('frees the slot of work that failed', async () => {
    const slots = new WorkSlots(1);
    await expect(slots.run(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await expect(slots.run(() => Promise.resolve('yes'))).resolves.toBe('yes');
  });
});
