import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import {
  bulkWriteInChunks,
  insertOrReplace,
  MAX_INSERTS_PER_BULK_WRITE,
  MAX_STATEMENTS_PER_BULK_WRITE,
} from './bulkWrites';

/**
 * On the suite's MongoDB-protocol server (FerretDB here): replacing more documents than FerretDB
 * 1.24's connection pool holds, in one call, finishes. Sent as one command it never did (the
 * database stopped answering); a hang would end this test at its timeout.
 */
let environment: TestEnvironment;

beforeAll(async () => {
  environment = await createTestEnvironment('bulk-writes');
});
afterAll(async () => {
  await environment?.cleanup();
});

describe('bulkWriteInChunks', () => {
  it('replaces 150 documents that exist, in commands FerretDB finishes', async () => {
    const documents = environment.db.collection<{ _id: string; round: number }>('documents');
    const replaceAll = (round: number) =>
      Array.from({ length: 150 }, (_, index) => ({
        replaceOne: { filter: { _id: `d${index}` }, replacement: { _id: `d${index}`, round }, upsert: true },
      }));
    await bulkWriteInChunks(documents, replaceAll(1));
    await bulkWriteInChunks(documents, replaceAll(2));
    expect(MAX_STATEMENTS_PER_BULK_WRITE).toBeLessThan(100);
    expect(await documents.countDocuments({ round: 2 })).toBe(150);
    expect(await documents.countDocuments({})).toBe(150);
  });
});

describe('insertOrReplace', () => {
  it('inserts the new documents and replaces those already there, across commands', async () => {
    const documents = environment.db.collection<{ _id: string; round: number }>('fresh-or-not');
    const count = MAX_INSERTS_PER_BULK_WRITE + 50;
    // Some of the second command's documents, and some of the first's, exist already (a refold).
    await documents.insertMany(
      [3, 7, MAX_INSERTS_PER_BULK_WRITE + 10].map((index) => ({ _id: `d${index}`, round: 0 })),
    );
    await insertOrReplace(
      documents,
      Array.from({ length: count }, (_, index) => ({ _id: `d${index}`, round: 1 })),
    );
    expect(await documents.countDocuments({})).toBe(count);
    expect(await documents.countDocuments({ round: 1 })).toBe(count);
  });

  it('fails on anything but a taken _id', async () => {
    const documents = environment.db.collection<{ _id: string; round: number }>('fresh-or-not');
    // A key starting with `$` is refused by the server itself (MongoDB and FerretDB alike).
    await expect(insertOrReplace(documents, [{ _id: 'bad', round: 1, $bad: 1 } as never])).rejects.toThrow();
  });
});
