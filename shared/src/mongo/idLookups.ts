import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Db } from 'mongodb';
import type { Logger } from '../config/logger';

const run = promisify(execFile);

/** The only FerretDB this workaround is known to be right for (docs/DATABASE.md). */
export const FERRETDB_VERSION = 'v1.24.2';

/** Where `npm start` and the tests keep FerretDB's SQLite files unless told otherwise. */
export const DEFAULT_SQLITE_DIR = resolve(__dirname, '../../../.data/ferretdb');

/** The unique index this module puts on a collection's table, in place of FerretDB's own on `_id`. */
export const idLookupIndexName = (table: string) => `${table}_rp_id`;
/** FerretDB's own `_id` index on a table (`<table>_<index name>`): unique, on an expression no read uses. */
const ferretDbIdIndexName = (table: string) => `${table}__id_`;
/** The index this module added until 2026-12-04, not unique, beside FerretDB's own: replaced where found. */
const formerLookupIndexName = (table: string) => `${table}_rp_id_lookup`;

/**
 * Makes reads by `_id` index lookups on the embedded database. A workaround, pinned to FerretDB
 * 1.24.2 with its SQLite backend: that FerretDB sends `findOne({_id: "<string>"})` to SQLite as
 * `WHERE _ferretdb_sjson->'$._id' = ?`, while its own `_id` index is built on
 * `_ferretdb_sjson->"_id"` — another expression, so SQLite scans the whole table. An index on the
 * expression it does query, created on the collection's table with the sqlite3 command, turns
 * those reads into lookups (docs/DATABASE.md has the figures). The index is unique, and it
 * replaces FerretDB's own `_id` index, which then only kept `_id` unique: each insert and update
 * maintains one index on `_id` rather than two (an insert of a random `_id` into 300,000
 * documents cost FerretDB ~100 µs with both, ~60 with one). FerretDB refuses a duplicate `_id`
 * as before (it reports any unique violation of an insert as one), its bookkeeping still names
 * its index, and `listIndexes` shows `_id_` as before and not the added one; dropping the
 * collection drops it. On a real MongoDB (or any other server) this does nothing: MongoDB serves
 * `_id` from its own index.
 */
export class IdLookups {
  private sqliteFile: Promise<string | undefined> | undefined;
  private version: Promise<string | undefined> | undefined;
  private notFerretDb = false;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly sqliteDir = DEFAULT_SQLITE_DIR,
  ) {}

  /**
   * The SQLite file behind this database, when it is FerretDB 1.24.2 on SQLite in `sqliteDir`.
   * A file not there yet (a database nothing was written to) is looked for again next time.
   */
  async file(): Promise<string | undefined> {
    this.sqliteFile ??= this.locate();
    const file = await this.sqliteFile;
    if (file === undefined && !this.notFerretDb) this.sqliteFile = undefined;
    return file;
  }

  /**
   * Creates the collections if they do not exist, then the lookup index on each one's table.
   * Safe to call again, from any process, at any time: what exists is left as it is. Nothing is
   * remembered between calls: a collection dropped and created again (a rebuilt generation) gets
   * its index again.
   */
  async ensure(wanted: string[]): Promise<void> {
    if (wanted.length === 0 || (await this.ferretDbVersion()) === undefined) return;
    // Collections first: on a new database that also creates FerretDB's SQLite file.
    const existing = new Set((await this.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    for (const name of wanted) {
      if (existing.has(name)) continue;
      await this.db.createCollection(name).catch((error: { code?: number }) => {
        if (error.code !== 48) throw error; // created meanwhile by someone else
      });
    }
    const file = await this.file();
    if (!file) return;
    const tables = await this.tablesOf(file, wanted);
    // One transaction: a table always has a unique index on `_id`, and the new one is built
    // before FerretDB's is dropped. Its expression is FerretDB's (`->"_id"` is `->'$._id'`).
    const statements = [...tables.values()].flatMap((table) => [
      `CREATE UNIQUE INDEX IF NOT EXISTS "${idLookupIndexName(table)}" ON "${table}" (_ferretdb_sjson->'$._id');`,
      `DROP INDEX IF EXISTS "${ferretDbIdIndexName(table)}";`,
      `DROP INDEX IF EXISTS "${formerLookupIndexName(table)}";`,
    ]);
    if (statements.length > 0) await runSqlite(file, ['BEGIN IMMEDIATE;', ...statements, 'COMMIT;'].join('\n'));
    this.logger.debug({ collections: [...tables.keys()] }, 'id lookups indexed');
  }

  /** The SQLite file and table behind a collection: for tests and tools. */
  async tableOf(collection: string): Promise<{ file: string; table: string }> {
    const file = await this.file();
    if (!file) throw new Error('not FerretDB on SQLite');
    const table = (await this.tablesOf(file, [collection])).get(collection);
    if (!table) throw new Error(`no table for ${collection}`);
    return { file, table };
  }

  /** The names of the SQLite indexes on a collection's table: for tests and tools. */
  async indexesOf(collection: string): Promise<string[]> {
    const { file, table } = await this.tableOf(collection);
    const rows = await runSqlite(
      file,
      `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '${table}' ORDER BY name;`,
    );
    return rows.map((row) => String(row.name).slice(table.length + 1));
  }

  /** SQLite's plan for FerretDB's query of `findOne({_id})` on a collection: for tests and tools. */
  async planOfIdLookup(collection: string): Promise<string> {
    const { file, table } = await this.tableOf(collection);
    // The sqlite3 command prints a plan as a tree under a "QUERY PLAN" heading, whatever the mode.
    const { stdout } = await run('sqlite3', [
      file,
      `EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "${table}" WHERE _ferretdb_sjson->'$._id' = 'x';`,
    ]);
    return stdout
      .split('\n')
      .filter((line) => line.trim() !== '' && line !== 'QUERY PLAN')
      .map((line) => line.replace(/^[\s|`-]+/, ''))
      .join('\n');
  }

  /** FerretDB's version, or undefined on any other server (asked once). */
  private async ferretDbVersion(): Promise<string | undefined> {
    this.version ??= this.db
      .admin()
      .command({ buildInfo: 1 })
      .then((info) => (info as { ferretdbVersion?: string }).ferretdbVersion);
    const version = await this.version;
    this.notFerretDb = version === undefined;
    return version;
  }

  private async locate(): Promise<string | undefined> {
    const version = await this.ferretDbVersion();
    if (!version) return undefined;
    const file = join(this.sqliteDir, `${this.db.databaseName}.sqlite`);
    if (version !== FERRETDB_VERSION || !existsSync(file)) {
      this.logger.warn(
        { ferretdb: version, file },
        `reads by _id are not indexed: this works around FerretDB ${FERRETDB_VERSION} on SQLite only (FERRETDB_SQLITE_DIR)`,
      );
      return undefined;
    }
    const sqliteCommand = await run('sqlite3', ['-version']).then(
      () => true,
      () => false,
    );
    if (!sqliteCommand) {
      this.logger.warn('reads by _id are not indexed: the sqlite3 command is missing (npm start installs it)');
      return undefined;
    }
    return file;
  }

  private async tablesOf(file: string, collections: string[]): Promise<Map<string, string>> {
    const names = collections.map((name) => `'${name.replace(/'/g, "''")}'`).join(',');
    const rows = await runSqlite(file, `SELECT name, table_name FROM _ferretdb_collections WHERE name IN (${names});`);
    return new Map(rows.map((row) => [String(row.name), String(row.table_name)]));
  }
}

/**
 * Runs SQL with the sqlite3 command (waiting up to 10 s for FerretDB's writes), rows as JSON. It
 * stops at the first error (`-bail`), so a transaction it began is rolled back, never committed
 * in part.
 */
export async function runSqlite(file: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const { stdout } = await run('sqlite3', ['-bail', '-cmd', '.timeout 10000', '-json', file, sql], {
    timeout: 60_000,
  });
  return stdout.trim() === '' ? [] : (JSON.parse(stdout) as Array<Record<string, unknown>>);
}
