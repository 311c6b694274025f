import type { Db } from 'mongodb';
import { collectionNames, isDuplicateKeyError } from '@retail-pulse/shared';

interface ReceiptDocument {
  _id: number;
  acceptedAt: Date;
}

/**
 * Records that a job was handed to the broker, so the status API answers "ongoing" for it even
 * before the projection has folded its JobSubmitted (read-your-writes).
 */
export class JobReceipts {
  constructor(private readonly db: Db) {}

  async record(jobId: number): Promise<void> {
    try {
      await this.db
        .collection<ReceiptDocument>(collectionNames.jobReceipts)
        .insertOne({ _id: jobId, acceptedAt: new Date() });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}
