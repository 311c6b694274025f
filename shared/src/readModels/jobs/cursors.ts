import { z } from 'zod';

/**
 * The jobs routes' cursors: opaque to clients (base64url of a small JSON), checked on the way in.
 * An images cursor is an offset into the job's fixed image order, so a page never skips or
 * repeats an image while the job runs; a listing cursor is where the walk down the job ids stopped.
 */
const imagesCursorSchema = z.strictObject({
  v: z.literal(1),
  j: z.number().int().positive(),
  o: z.number().int().nonnegative(),
});
const jobsCursorSchema = z.strictObject({
  v: z.literal(1),
  /** The listing block to read next. */
  b: z.number().int().nonnegative(),
  /** Only job ids below this one are still to come. */
  a: z.number().int().positive(),
  s: z.enum(['ongoing', 'completed', 'failed']).nullable(),
});

export interface ImagesCursor {
  jobId: number;
  offset: number;
}
export interface JobsCursor {
  block: number;
  before: number;
  state: 'ongoing' | 'completed' | 'failed' | null;
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

function decode<T>(schema: z.ZodType<T>, cursor: string): T | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export const imagesCursor = {
  encode: ({ jobId, offset }: ImagesCursor): string => encode({ v: 1, j: jobId, o: offset }),
  /** The cursor's place, or undefined for anything this codec did not write. */
  decode(cursor: string): ImagesCursor | undefined {
    const value = decode(imagesCursorSchema, cursor);
    return value && { jobId: value.j, offset: value.o };
  },
};

export const jobsCursor = {
  encode: ({ block, before, state }: JobsCursor): string => encode({ v: 1, b: block, a: before, s: state }),
  decode(cursor: string): JobsCursor | undefined {
    const value = decode(jobsCursorSchema, cursor);
    return value && { block: value.b, before: value.a, state: value.s };
  },
};
