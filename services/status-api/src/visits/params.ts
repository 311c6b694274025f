import { visitsBoundOf, visitsQuery } from '@retail-pulse/shared/contracts/api';
import { badRequest } from '@retail-pulse/shared/http';

export interface VisitsParams {
  area?: string;
  storeId?: string;
  /** Inclusive lower bound on visit_time. */
  from?: Date;
  /** Exclusive upper bound on visit_time. */
  until?: Date;
}

/** A parameter sent blank is absent (`?area=&storeid=S1` filters by store only). */
function withoutBlanks(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(query).filter(([, value]) => !(typeof value === 'string' && value.trim() === '')),
  );
}

/**
 * Parses the visits query string with the API's schema (its first problem is the 400's sentence;
 * hostile characters are refused, never echoed). Dates are inclusive: enddate=2024-01-21 covers that whole day.
 */
export function parseVisitsParams(query: Record<string, unknown>): VisitsParams {
  const parsed = visitsQuery.safeParse(withoutBlanks(query));
  if (!parsed.success) throw badRequest(parsed.error.issues[0]?.message ?? 'invalid visits query');
  const { area, storeid, startdate, enddate } = parsed.data;
  // The schema has checked both bounds name an instant.
  const from = startdate === undefined ? undefined : visitsBoundOf(startdate)?.start;
  const until = enddate === undefined ? undefined : visitsBoundOf(enddate)?.end;
  if (from && until && from.getTime() >= until.getTime()) throw badRequest('startdate must not be after enddate');
  return {
    ...(area !== undefined ? { area } : {}),
    ...(storeid !== undefined ? { storeId: storeid } : {}),
    ...(from ? { from } : {}),
    ...(until ? { until } : {}),
  };
}
