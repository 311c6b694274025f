import { z } from 'zod';
import { describeZodError } from './events';

/**
 * Announces that a store-master version has become current, fanned out to every image-processor
 * and status API. A hint only: each process also reads the `current` document every few seconds,
 * so a lost notice delays the switch, never loses it.
 */
export const storeMasterImportedSchema = z.object({
  type: z.literal('StoreMasterImported'),
  version: z.literal(1),
  data: z.object({
    storeMasterVersion: z.number().int().positive(),
    stores: z.number().int().nonnegative(),
    checksum: z.string().min(1),
  }),
});
export type StoreMasterImported = z.infer<typeof storeMasterImportedSchema>;

/** Reads a notice off the feed; throws (the message is dead-lettered with the reason) when it is not one. */
export function parseStoreMasterImported(content: Buffer): StoreMasterImported {
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch {
    throw new Error('malformed store-master notice: not JSON');
  }
  const notice = storeMasterImportedSchema.safeParse(json);
  if (!notice.success) throw new Error(`malformed store-master notice: ${describeZodError(notice.error)}`);
  return notice.data;
}

/** The notice for a version just made current. */
export function storeMasterImported(version: {
  version: number;
  stores: number;
  checksum: string;
}): StoreMasterImported {
  return {
    type: 'StoreMasterImported',
    version: 1,
    data: { storeMasterVersion: version.version, stores: version.stores, checksum: version.checksum },
  };
}
