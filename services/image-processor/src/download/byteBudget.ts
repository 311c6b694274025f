/**
 * A bound on the bytes of image bodies the processor holds at once, across every download in
 * flight. Bytes are taken before they are kept and given back once measured; a taker waits, in
 * arrival order, while the budget is spent, and gives up after `waitMs` — so downloads that each
 * hold part of the budget and wait for more can never wait on one another for ever.
 */
export class ByteBudget {
  private held = 0;
  private peak = 0;
  private readonly waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(readonly total: number) {}

  /** Bytes held now, and the most ever held at once. */
  get stats(): { held: number; peak: number; total: number } {
    return { held: this.held, peak: this.peak, total: this.total };
  }

  /**
   * Takes `bytes`, waiting up to `waitMs` for them; false when they could not be had in that time.
   * A single take larger than the whole budget is granted when nothing else is held.
   */
  async take(bytes: number, waitMs: number): Promise<boolean> {
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.grant(bytes);
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const entry = {
        bytes,
        grant: () => {
          clearTimeout(timer);
          this.grant(bytes);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        this.wake();
        resolve(false);
      }, waitMs);
      this.waiting.push(entry);
    });
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
    this.wake();
  }

  private fits(bytes: number): boolean {
    return this.held + bytes <= this.total || this.held === 0;
  }

  private grant(bytes: number): void {
    this.held += bytes;
    this.peak = Math.max(this.peak, this.held);
  }

  private wake(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) this.waiting.shift()!.grant();
  }
}
