import { createHash } from 'node:crypto';
import type { Db, MongoServerError } from 'mongodb';
import { collectionNames } from '@retail-pulse/shared/mongo';
import { badRequest, HttpError } from '@retail-pulse/shared/http';

/** How long a key stands for the job it first created. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** How long a repeat waits for the first submit of its key (still publishing) before publishing itself. */
const CLAIM_WAIT_MS = 5_000;

interface IdempotencyDocument {
  _id: string;
  bodyHash: string;
  jobId: number;
  /**
   * `claimed` from the id's allocation until the broker confirmed its JobSubmitted (`published`),
   * or said it could not take it (`unconfirmed`: a repeat publishes the same job again at once).
   */
  state: 'claimed' | 'published' | 'unconfirmed';
  createdAt: Date;
}

/** The header's value: 1 to 255 visible ASCII characters, or undefined when the header is absent. */
export function parseIdempotencyKey(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(raw)) {
    throw badRequest('Idempotency-Key must be 1 to 255 visible ASCII characters');
  }
  return raw;
}

/** The body as a digest, keys in any order: two submits of the same job hash alike. */
export function bodyHashOf(body: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
          )
        : value;
  return createHash('sha256')
    .update(JSON.stringify(canonical(body)))
    .digest('hex');
}

/** What a submit with a key is to do. */
export type KeyedSubmit =
  /** The key is new (or expired): publish the job under this id. */
  | { kind: 'new'; jobId: number }
  /** The key created this job: answer it again; publish it again only if `republish`. */
  | { kind: 'repeat'; jobId: number; republish: boolean };

/**
 * `Idempotency-Key` on submit: the same key with the same body within 24 h answers the same
 * `job_id` and creates nothing; with another body it is a 409. Kept in the database by `_id`, so
 * it holds across restarts of every service and across ingest instances: the unique `_id` decides
 * between two submits racing with one key. A key whose first submit died between claiming an id
 * and the broker's confirm is finished by the next repeat, which publishes the same JobSubmitted
 * (its event id is the job's: the log keeps it once).
 */
export class IdempotencyKeys {
  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {}

  private get collection() {
    return this.db.collection<IdempotencyDocument>(collectionNames.idempotencyKeys);
  }

  async claim(key: string, bodyHash: string, allocate: () => Promise<number>): Promise<KeyedSubmit> {
    const _id = `k|${key}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.collection.findOne({ _id });
      if (existing && this.clock() - existing.createdAt.getTime() < IDEMPOTENCY_WINDOW_MS) {
        return this.repeat(existing, bodyHash);
      }
      const jobId = await allocate();
      const document: IdempotencyDocument = {
        _id,
        bodyHash,
        jobId,
        state: 'claimed',
        createdAt: new Date(this.clock()),
      };
      try {
        if (existing) {
          // Expired: taken over, unless another submit took it over first.
          const { matchedCount } = await this.collection.replaceOne({ _id, createdAt: existing.createdAt }, document);
          if (matchedCount === 0) continue;
        } else await this.collection.insertOne(document);
        return { kind: 'new', jobId };
      } catch (error) {
        if ((error as MongoServerError).code !== 11000) throw error;
        // Another submit with this key claimed it a moment ago: answer as it does.
      }
    }
    throw new HttpError(409, { error: 'this Idempotency-Key is being used by another submit; retry shortly' });
  }

  /** What the broker said of the key's JobSubmitted. */
  async settle(key: string, state: 'published' | 'unconfirmed'): Promise<void> {
    await this.collection.updateOne({ _id: `k|${key}` }, { $set: { state } });
  }

  private async repeat(existing: IdempotencyDocument, bodyHash: string): Promise<KeyedSubmit> {
    if (existing.bodyHash !== bodyHash) {
      throw new HttpError(409, {
        error: `this Idempotency-Key was used within 24 h for another body (job ${existing.jobId})`,
      });
    }
    if (existing.state === 'published') return { kind: 'repeat', jobId: existing.jobId, republish: false };
    if (existing.state === 'unconfirmed') return { kind: 'repeat', jobId: existing.jobId, republish: true };
    // Its first submit may still be publishing: wait for it rather than send the job twice.
    const deadline = this.clock() + CLAIM_WAIT_MS;
    while (this.clock() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = await this.collection.findOne({ _id: existing._id });
      if (now?.state === 'published') return { kind: 'repeat', jobId: existing.jobId, republish: false };
      if (now?.state === 'unconfirmed') break;
    }
    return { kind: 'repeat', jobId: existing.jobId, republish: true };
  }
}
