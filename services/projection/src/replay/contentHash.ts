import { createHash } from 'node:crypto';
import type { Db } from 'mongodb';
import type { ReadModelName } from '@retail-pulse/shared/contracts';
import { readModelCollections } from '@retail-pulse/shared/readModels';

/** JSON with keys sorted at every level, so equal documents serialise equally. */
export function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const MODULUS = 1n << 256n;

/**
 * A content hash of read-model collections that does not depend on storage order: each document's
 * SHA-256 (with its collection's role) is summed modulo 2^256, so one streaming pass is enough
 * and two generations built in different batch sizes or orders hash equally when equal.
 * `roles` maps a collection name to the name it is hashed under (generations differ in names).
 */
export async function hashCollections(
  db: Db,
  roles: Record<string, string>,
): Promise<{ hash: string; documents: number }> {
  let sum = 0n;
  let documents = 0;
  for (const [collection, role] of Object.entries(roles)) {
    for await (const document of db.collection(collection).find({}).batchSize(5_000)) {
      const digest = createHash('sha256').update(role).update('\n').update(canonicalJson(document)).digest('hex');
      sum = (sum + BigInt(`0x${digest}`)) % MODULUS;
      documents++;
    }
  }
  return { hash: `${sum.toString(16).padStart(64, '0')}:${documents}`, documents };
}

/** Hashes the given generation of each read model, under generation-independent roles. */
export async function hashReadModels(
  db: Db,
  generations: Partial<Record<ReadModelName, number>>,
): Promise<{ hash: string; documents: number }> {
  const roles: Record<string, string> = {};
  if (generations.jobStatus !== undefined) {
    const names = readModelCollections(generations.jobStatus);
    roles[names.jobOutcomes] = 'jobOutcomes';
    roles[names.jobProgress] = 'jobProgress';
  }
  if (generations.visits !== undefined) {
    const names = readModelCollections(generations.visits);
    roles[names.visits] = 'visits';
  }
  if (generations.jobs !== undefined) {
    const names = readModelCollections(generations.jobs);
    roles[names.jobs] = 'jobs';
    roles[names.jobsOpen] = 'jobsOpen';
  }
  return hashCollections(db, roles);
}
