import type { Db } from 'mongodb';
import { collectionNames, insertIdempotent } from '@retail-pulse/shared/mongo';
import { jobKey, type JobReceiptDocument } from '@retail-pulse/shared/readModels';

interface PendingReceipt {
  jobId: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Records that a job was handed to the broker, so the status API answers "ongoing" for it even
 * before the projection has folded its JobSubmitted (read-your-writes). Receipts of concurrent
 * submits are written together in one insert (group commit): one database round trip and one
 * write transaction for many jobs, where the database serialises writes.
 */
export class JobReceipts {
  private pending: PendingReceipt[] = [];

  constructor(private readonly db: Db) {}

  record(jobId: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ jobId, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const acceptedAt = new Date();
    try {
      await insertIdempotent(
        this.db.collection<JobReceiptDocument>(collectionNames.jobReceipts),
        batch.map(({ jobId }) => ({ _id: jobKey(jobId), jobId, acceptedAt })),
      );
      for (const receipt of batch) receipt.resolve();
    } catch (error) {
      for (const receipt of batch) receipt.reject(error);
    }
  }
}
