/**
 * At most `limit` tasks at once (images worked on, jobs fanned out), whatever the messages they
 * came in: the others wait their turn, in order.
 */
export class WorkSlots {
  private busy = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  get inUse(): number {
    return this.busy;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.busy >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.busy++;
    try {
      return await work();
    } finally {
      // A waiter takes the slot over; only when none waits is it freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.busy--;
    }
  }
}
