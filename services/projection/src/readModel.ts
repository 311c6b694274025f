import type { ReadModelName, RecordedEvent } from '@retail-pulse/shared/contracts';
import type { JobSettledNotice } from '@retail-pulse/shared/readModels';

/** Told, once their outcomes are stored, of the jobs a live fold settled. */
export type SettledListener = (notice: JobSettledNotice) => void;

export interface FoldOptions {
  /**
   * The events may already be folded into this generation (catch-up after a restart): jobs
   * absent from memory are checked for an existing outcome before being folded.
   */
  verifyTerminal: boolean;
}

/**
 * One generation of one read model. `fold` takes events in position order, ignores those at or
 * below the checkpoint, writes idempotently and moves the checkpoint.
 */
export interface ReadModel {
  readonly name: ReadModelName;
  readonly generation: number;
  readonly checkpoint: number;
  /** Loads the checkpoint and any in-memory state of this generation. */
  load(): Promise<void>;
  fold(events: RecordedEvent[], options: FoldOptions): Promise<void>;
  /**
   * Rebuild mode: folds without writing intermediate state or checkpoints; `flush` writes them
   * once at the end. The generation is not served until then, so nobody sees the gap.
   */
  setDeferred(deferred: boolean): void;
  flush(): Promise<void>;
  /** The collections this generation writes. */
  readonly collections: string[];
}
