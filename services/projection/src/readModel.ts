import type { ReadModelName, RecordedEvent } from '@retail-pulse/shared/contracts';
import type { JobOutcomeDocument } from '@retail-pulse/shared/readModels';

/** A job a live fold settled: its outcome as stored, and when it was submitted. */
export type SettledJob = Pick<JobOutcomeDocument, 'jobId' | 'status' | 'failures' | 'totalImages' | 'failedImages'> & {
  submittedAt: string | null;
};

/** Told, once their outcomes are stored, of the jobs a live fold settled, in one generation. */
export type SettledListener = (settled: { generation: number; jobs: SettledJob[] }) => void;

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
