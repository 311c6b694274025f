import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { createLogger } from '../config/logger';
import { IdLookups, runSqlite } from './idLookups';

/**
 * Reads by `_id` are index lookups, proven by the query plan, not a timing: on FerretDB 1.24.2
 * (SQLite) by SQLite's plan for the very expression FerretDB queries with; on MongoDB by its own.
 */
let environment: TestEnvironment;
let lookups: IdLookups;
beforeAll(async () => {
  environment = await createTestEnvironment('idlookups');
  lookups = new IdLookups(
    environment.db,
    createLogger('id-lookups', 'silent' as 'info'),
    process.env.FERRETDB_SQLITE_DIR,
  );
});
afterAll(async () => {
  await environment.cleanup();
});

describe('id lookups', () => {
  it('turns a find by _id into an index search, keeps _id unique, and creates missing collections', async () => {
    const things = environment.db.collection<{ _id: string; n: number }>('things');
    await things.insertMany(Array.from({ length: 50 }, (_, n) => ({ _id: `t${n}`, n })));
    const onFerretDb = (await lookups.file()) !== undefined;
    const { ferretdbVersion } = (await environment.db.admin().command({ buildInfo: 1 })) as {
      ferretdbVersion?: string;
    };
    // FerretDB whose files are elsewhere cannot be worked around: say so rather than pass as MongoDB.
    if (ferretdbVersion && !onFerretDb)
      throw new Error('FerretDB runs, but its SQLite files are not where FERRETDB_SQLITE_DIR says');
    if (onFerretDb) expect(await lookups.planOfIdLookup('things')).toMatch(/^SCAN /);

    await lookups.ensure(['things', 'not_yet_written']);
    await lookups.ensure(['things']); // again: nothing changes

    const names = (await environment.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['things', 'not_yet_written']));
    expect(await things.findOne({ _id: 't7' })).toEqual({ _id: 't7', n: 7 });
    await expect(things.insertOne({ _id: 't7', n: 0 })).rejects.toMatchObject({ code: 11000 });
    // Unordered, as the event log inserts its ids: the one taken is reported by its place, the others stored.
    await expect(
      things.insertMany(
        [
          { _id: 'u1', n: 1 },
          { _id: 't8', n: 0 },
          { _id: 'u2', n: 2 },
        ],
        { ordered: false },
      ),
    ).rejects.toMatchObject({ code: 11000, writeErrors: [expect.objectContaining({ index: 1 })] });
    expect(await things.countDocuments({ _id: { $in: ['u1', 'u2'] } })).toBe(2);
    expect((await things.listIndexes().toArray()).map((index) => index.name)).toEqual(['_id_']);
    if (onFerretDb) {
      // One index on _id, the one FerretDB's reads use; FerretDB's own is gone.
      expect(await lookups.indexesOf('things')).toEqual(['rp_id']);
      expect(await lookups.planOfIdLookup('things')).toMatch(/^SEARCH .* USING INDEX \S+_rp_id \(<expr>=\?\)$/);
      expect(await lookups.planOfIdLookup('not_yet_written')).toMatch(/USING INDEX \S+_rp_id\b/);
    } else {
      const plan = JSON.stringify(await things.find({ _id: 't7' }).explain());
      expect(plan).toMatch(/IDHACK|EXPRESS/);
    }
  });
});

describe('id lookups of a collection dropped and created again', () => {
  it('index the new table too (a rebuilt generation reuses its names)', async () => {
    if ((await lookups.file()) === undefined) return;
    await lookups.ensure(['again']);
    await environment.db.collection('again').drop();
    await environment.db.collection('again').insertOne({ _id: 'a' as never });
    expect(await lookups.planOfIdLookup('again')).toMatch(/^SCAN /);
    await lookups.ensure(['again']);
    expect(await lookups.planOfIdLookup('again')).toMatch(/USING INDEX \S+_rp_id\b/);
  });
});

describe('id lookups of a table indexed the former way', () => {
  it("replace the former index beside FerretDB's own by the one unique index", async () => {
    if ((await lookups.file()) === undefined) return;
    const former = environment.db.collection<{ _id: string }>('former');
    await former.insertMany([{ _id: 'f1' }, { _id: 'f2' }]);
    // As an installation indexed before 2026-12-04 was left.
    const { file, table } = await lookups.tableOf('former');
    await runSqlite(file, `CREATE INDEX "${table}_rp_id_lookup" ON "${table}" (_ferretdb_sjson->'$._id');`);
    expect(await lookups.indexesOf('former')).toEqual(['_id_', 'rp_id_lookup']);
    await lookups.ensure(['former']);
    expect(await lookups.indexesOf('former')).toEqual(['rp_id']);
    await expect(former.insertOne({ _id: 'f2' })).rejects.toMatchObject({ code: 11000 });
    expect(await former.findOne({ _id: 'f1' })).toEqual({ _id: 'f1' });
  });
});

describe('id lookups on a database nothing was written to yet', () => {
  it('index the collections they create, though the database had no file when they were made', async () => {
    const fresh = await createTestEnvironment('idlookups-fresh');
    try {
      const lookups = new IdLookups(
        fresh.db,
        createLogger('id-lookups', 'silent' as 'info'),
        process.env.FERRETDB_SQLITE_DIR,
      );
      const { ferretdbVersion } = (await fresh.db.admin().command({ buildInfo: 1 })) as { ferretdbVersion?: string };
      await lookups.ensure(['first_collection']);
      if (!ferretdbVersion) return; // MongoDB: its own _id index serves, nothing to add
      expect(await lookups.planOfIdLookup('first_collection')).toMatch(/USING INDEX \S+_rp_id\b/);
    } finally {
      await fresh.cleanup();
    }
  });
});
