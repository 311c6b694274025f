import { z } from 'zod';
import { IDENTIFIER_RULE } from '../identifiers';
import { hasUnsafeCharacters } from '../text';
import { generationParam } from './status';
import { errorBody, errorExample, gatewayResponses, type ApiRoute } from './route';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_OR_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2}))?$/;
const IDENTIFIER_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const DAY_MS = 86_400_000;

/**
 * Where an RFC 3339 date (a whole UTC day) or date-time starts and ends, or undefined when it names
 * no instant (2024-13-01, 2024-02-30T10:00:00Z).
 */
export function visitsBoundOf(value: string): { start: Date; end: Date } | undefined {
  if (!DATE_OR_DATE_TIME.test(value)) return undefined;
  if (DATE_ONLY.test(value)) {
    const start = new Date(`${value}T00:00:00.000Z`);
    if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== value) return undefined;
    return { start, end: new Date(start.getTime() + DAY_MS) };
  }
  const instant = new Date(value);
  return Number.isNaN(instant.getTime()) ? undefined : { start: instant, end: new Date(instant.getTime() + 1) };
}

/** A parameter given once, without control characters: refused, never echoed, when it holds them. */
const visitsParam = (name: string) =>
  z
    .string({ error: `${name} must be given once` })
    .refine((value) => !hasUnsafeCharacters(value), `${name} must not contain control characters`);

const identifierParam = (name: string, description: string, example: string) =>
  visitsParam(name).regex(IDENTIFIER_PATTERN, `${name} ${IDENTIFIER_RULE}`).optional().meta({ description, example });

const dateParam = (name: string, description: string, example: string) =>
  visitsParam(name)
    .trim()
    .regex(DATE_OR_DATE_TIME, {
      error: (issue) =>
        `${name} must be an RFC 3339 date (2024-01-21) or date-time (2024-01-21T16:23:40Z): ${String(issue.input)}`,
    })
    .superRefine((value, ctx) => {
      if (!DATE_OR_DATE_TIME.test(value) || visitsBoundOf(value)) return;
      ctx.addIssue({
        code: 'custom',
        input: value,
        message: DATE_ONLY.test(value)
          ? `${name} is not a valid date: ${value}`
          : `${name} must be an RFC 3339 date (2024-01-21) or date-time (2024-01-21T16:23:40Z): ${value}`,
      });
    })
    .optional()
    .meta({ description, example });

/**
 * The visits query, every filter optional (a blank one is absent), combined with AND. Checked in
 * this order; the first problem found is the one answered.
 */
export const visitsQuery = z.object({
  area: identifierParam('area', 'An AreaCode of the store master.', '7100015'),
  storeid: identifierParam(
    'storeid',
    'A StoreID of the store master; it must be in `area` when both are given.',
    'S00339218',
  ),
  startdate: dateParam(
    'startdate',
    'RFC 3339 date (the whole UTC day) or date-time; inclusive. Not after `enddate`.',
    '2024-01-21',
  ),
  enddate: dateParam('enddate', 'RFC 3339 date (the whole UTC day) or date-time; inclusive.', '2024-01-22'),
  generation: generationParam,
});

export const storeVisits = z
  .object({
    store_id: z.string(),
    area: z.string(),
    store_name: z.string(),
    data: z
      .array(
        z.object({
          date: z.iso.date().meta({ description: 'A UTC date.' }),
          perimeter: z
            .array(z.number().int().positive())
            .meta({ description: '2 × (width + height) of each image measured that day, in visit-time order.' }),
        }),
      )
      .meta({ description: 'One entry per UTC date, ascending.' }),
  })
  .meta({ id: 'StoreVisits' });

export type StoreVisitsBody = z.infer<typeof storeVisits>;

/** The SPEC's visits answer: stores with at least one measured image in the range, by store id. */
export const visitsResponse = z.object({ results: z.array(storeVisits) }).meta({ id: 'VisitsResponse' });

export type VisitsResponse = z.infer<typeof visitsResponse>;

const findVisits: ApiRoute = {
  method: 'get',
  path: '/api/visits',
  operationId: 'findVisits',
  summary: 'Store visits',
  description:
    'The perimeters measured per store and UTC date, filtered by area, store and visit time. ' +
    '`/api/visits/` is the same route.',
  tags: ['visits'],
  query: visitsQuery,
  responses: {
    200: {
      description: 'The stores with measured images in the range (possibly none).',
      schema: visitsResponse,
      examples: {
        twoStores: {
          value: {
            results: [
              {
                store_id: 'S00339218',
                area: '7100015',
                store_name: 'SHREE GANESH STORES',
                data: [{ date: '2024-01-21', perimeter: [2240, 1000] }],
              },
              {
                store_id: 'S01408764',
                area: '7100015',
                store_name: 'A.K ENTERPRISES, KIRANA',
                data: [{ date: '2024-01-22', perimeter: [2240] }],
              },
            ],
          },
        },
      },
    },
    400: {
      description: 'An unknown area or store, a store outside the area, or a malformed parameter.',
      schema: errorBody,
      examples: {
        unknownArea: errorExample('unknown area: 123'),
        unknownStore: errorExample('unknown store_id: S99999999'),
        badDate: errorExample(
          'enddate must be an RFC 3339 date (2024-01-21) or date-time (2024-01-21T16:23:40Z): tomorrow',
        ),
        range: errorExample('startdate must not be after enddate'),
      },
    },
    ...gatewayResponses,
  },
};

export const visitsRoutes: ApiRoute[] = [findVisits];
