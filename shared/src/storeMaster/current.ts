import type { Db } from 'mongodb';
import { env } from '../config/config';
import type { Logger } from '../config/logger';
import { StoreMasterVersions } from './repository';
import { StoreMasterSnapshot } from './snapshot';

/** How often a process reads the `current` document, in case it missed a notice. */
export const STORE_MASTER_POLL_MS = 5_000;

/** The setting of every process that holds the store master. */
export const storeMasterConfigShape = {
  /** How often the current store-master version is read, so a missed notice only delays a switch. */
  STORE_MASTER_POLL_MS: env.int(STORE_MASTER_POLL_MS, 100, 600_000),
};

/**
 * The current store master of this process, whole, in memory: every image is checked against it
 * and every visits answer comes from it, with no database read. A new version is loaded whole and
 * swapped in by one assignment, so a reader sees the old master or the new one, never a mix. It
 * switches when told (`noticed`, from the `StoreMasterImported` feed) and, in case a notice was
 * missed, when a periodic read of the `current` document names another version.
 */
export class StoreMaster {
  private current = StoreMasterSnapshot.empty;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly versions: StoreMasterVersions;

  constructor(
    db: Db,
    private readonly logger?: Logger,
  ) {
    this.versions = new StoreMasterVersions(db);
  }

  /** The master in use now. Hold on to the snapshot, not to this object, for one consistent check. */
  get snapshot(): StoreMasterSnapshot {
    return this.current;
  }

  /** Loads the current version, then follows `current` every `pollMs` until `stop`. */
  async start(pollMs = STORE_MASTER_POLL_MS): Promise<StoreMasterSnapshot> {
    await this.refresh();
    this.timer ??= setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.logger?.warn({ reason: (error as Error).message }, 'store master not refreshed; trying again later'),
      );
    }, pollMs);
    this.timer.unref();
    return this.current;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A `StoreMasterImported` notice: switch now if it names a version other than ours. */
  noticed(version: number): Promise<void> {
    if (version === this.current.version) return Promise.resolve();
    return this.refresh();
  }

  /**
   * Reads `current` and, when it names another version, loads that one and swaps it in. Calls
   * while one is under way share it, plus one more read after it, so a notice is never lost to a
   * read that started before the import finished.
   */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          const named = await this.versions.current();
          if (!named || named.version === this.current.version) continue;
          const next = await this.versions.load(named.version);
          const previous = this.current;
          this.current = next;
          this.logger?.info(
            { from: previous.version, to: next.version, stores: next.size },
            'store master version now in use',
          );
        } while (this.again);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
