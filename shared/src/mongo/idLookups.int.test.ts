import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { createLogger } from '../config/logger';
import { IdLookups } from './idLookups';

/**
 * Reads by `_id` are index lookups, proven by the query plan, not a timing: on FerretDB 1.24.2
 * (SQLite) by SQLite's plan for the very expression FerretDB queries with; on MongoDB by its own.
 */
let environment: TestEnvironment;
let lookups: IdLookups;
beforeAll(async () => {
  environment = await createTestEnvironment('idlookups');
  lookups = new IdLookups(environment.db, createLogger('id-lookups', 'silent' as 'info'));
});
afterAll(async () => {
  await environment.cleanup();
});

describe('id lookups', () => {
  it('turns a find by _id into an index search, keeps _id unique, and creates missing collections', async () => {
    const things = environment.db.collection<{ _id: string; n: number }>('things');
    await things.insertMany(Array.from({ length: 50 }, (_, n) => ({ _id: `t${n}`, n })));
    const onFerretDb = (await lookups.file()) !== undefined;
    if (onFerretDb) expect(await lookups.planOfIdLookup('things')).toMatch(/^SCAN /);

    await lookups.ensure(['things', 'not_yet_written']);
    await lookups.ensure(['things']); // again: nothing changes

    const names = (await environment.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['things', 'not_yet_written']));
    expect(await things.findOne({ _id: 't7' })).toEqual({ _id: 't7', n: 7 });
    await expect(things.insertOne({ _id: 't7', n: 0 })).rejects.toMatchObject({ code: 11000 });
    if (onFerretDb) {
      expect(await lookups.planOfIdLookup('things')).toMatch(/^SEARCH .* USING INDEX \S+_rp_id_lookup \(<expr>=\?\)$/);
      expect(await lookups.planOfIdLookup('not_yet_written')).toMatch(/USING INDEX \S+_rp_id_lookup/);
    } else {
      const plan = JSON.stringify(await things.find({ _id: 't7' }).explain());
      expect(plan).toMatch(/IDHACK|EXPRESS/);
    }
  });
});
