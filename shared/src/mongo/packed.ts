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

/**
 * Lists shorter than this are kept as JSON text: deflating one costs ~100 µs of CPU (a zlib stream
 * and its buffers set up per call), far more than its few hundred bytes cost the database.
 */
export const TEXT_BELOW_CHARS = 4096;

/** `packJson`, or the text itself when it is short (`unpack` reads both). Deterministic like `pack`. */
export function packJsonOrText(json: string): Binary | string {
  return json.length < TEXT_BELOW_CHARS ? json : packJson(json);
}

/** A packed value; plain JSON text too (documents written before packing, and short lists). */
export function unpack<T>(packed: Binary | string): T {
  return JSON.parse(typeof packed === 'string' ? packed : inflateRawSync(packed.buffer).toString('utf8')) as T;
}
