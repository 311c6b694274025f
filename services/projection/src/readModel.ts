import type { ReadModelName, RecordedEvent } from '@retail-pulse/shared/contracts';
import type { JobDocument, JobOutcomeDocument } from '@retail-pulse/shared/readModels';

/** A job a live fold settled: its outcome as stored, and when it was submitted. */
export type SettledJob = Pick<JobOutcomeDocument, 'jobId' | 'status' | 'failures' | 'totalImages' | 'failedImages'> & {
  submittedAt: string | null;
};

/** Told, once their outcomes are stored, of the jobs a live fold settled, in one generation. */
export type SettledListener = (settled: { generation: number; jobs: SettledJob[] }) => void;

/** A job that a live fold brought to a terminal state, whose submit named a callback URL. */
export interface WebhookDue {
  /** The job's document as the fold stores it (terminal). */
  document: JobDocument;
  callbackUrl: string;
  /** The log position of the event that settled the job. */
  position: number;
}

/**
 * Where the jobs model hands the webhooks its live folds make due (services/projection/src/webhooks).
 * `record` is awaited before the jobs' terminal state is written, so a settlement that is durable
 * in the read model always has its webhook stored; the function it resolves to is called once
 * that state is written, to send them on. Whatever the jobs reached that terminal state by —
 * their last image, or any event a later version adds — they are handed over here.
 */
export interface WebhookOutboxPort {
  record(due: WebhookDue[]): Promise<() => void>;
}

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

/**
 * Jobs of a batch that settled earlier, so their events are skipped. Only a job absent from
 * memory (`known` false) can be one: on catch-up (`verifyTerminal`) any such job; live, one whose
 * first event here is an image's outcome (a late second outcome of an image of a settled job,
 * processed again) — a job that starts with its JobSubmitted is new, and needs no read.
 */
export async function settledAmong(
  events: RecordedEvent[],
  options: { verifyTerminal: boolean; known: (jobId: number) => boolean; settled: (jobId: number) => Promise<boolean> },
): Promise<Set<number>> {
  const firstOf = new Map<number, RecordedEvent>();
  for (const event of events) if (!firstOf.has(event.data.jobId)) firstOf.set(event.data.jobId, event);
  const unknown = [...firstOf.entries()]
    .filter(([jobId]) => !options.known(jobId))
    .filter(([, first]) => options.verifyTerminal || first.type !== 'JobSubmitted')
    .map(([jobId]) => jobId);
  const settled = new Set<number>();
  await Promise.all(
    unknown.map(async (jobId) => {
      if (await options.settled(jobId)) settled.add(jobId);
    }),
  );
  return settled;
}
