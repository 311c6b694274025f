import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Binary } from 'mongodb';

/**
 * A list kept in one field as deflated JSON. On the embedded database each byte of text costs on
 * every read and write (~17 MB/s of strings on FerretDB 1.24; docs/DATABASE.md), and these lists
 * (a day's visits of an area, a page of a job's images, a page of the event log) compress ~7×.
 * Deterministic: the same value packs to the same bytes, so rebuilt read models hash equal.
 */
export function pack(value: unknown): Binary {
  return packJson(JSON.stringify(value));
}

/** `pack` of JSON text already written. */
export function packJson(json: string): Binary {
  return new Binary(deflateRawSync(json, { level: 1 }));
}

/** A packed value; plain JSON text too (documents written before packing). */
export function unpack<T>(packed: Binary | string): T {
  return JSON.parse(typeof packed === 'string' ? packed : inflateRawSync(packed.buffer).toString('utf8')) as T;
}
