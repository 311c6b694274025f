import { hasUnsafeCharacters, IDENTIFIER_RULE, isIdentifier } from '@retail-pulse/shared/contracts';
import { badRequest } from '@retail-pulse/shared/http';

export interface VisitsParams {
  area?: string;
  storeId?: string;
  /** Inclusive lower bound on visit_time. */
  from?: Date;
  /** Exclusive upper bound on visit_time. */
  until?: Date;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

/** A parameter given once, as sent; blank means absent. Hostile characters are refused, never echoed. */
function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(`${name} must be given once`);
  if (value.trim() === '') return undefined;
  if (hasUnsafeCharacters(value)) throw badRequest(`${name} must not contain control characters`);
  return value;
}

/** An area code or store id: taken exactly as sent, like the ids a submit records. */
function identifier(query: Record<string, unknown>, name: string): string | undefined {
  const value = single(query, name);
  if (value !== undefined && !isIdentifier(value)) throw badRequest(`${name} ${IDENTIFIER_RULE}`);
  return value;
}

/** An RFC 3339 date (a whole UTC day) or date-time. Returns the instant where it starts, and where it ends. */
function parseBound(name: string, value: string): { start: Date; end: Date } {
  if (DATE_ONLY.test(value)) {
    const start = new Date(`${value}T00:00:00.000Z`);
    if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== value) {
      throw badRequest(`${name} is not a valid date: ${value}`);
    }
    return { start, end: new Date(start.getTime() + DAY_MS) };
  }
  if (DATE_TIME.test(value)) {
    const instant = new Date(value);
    if (!Number.isNaN(instant.getTime())) return { start: instant, end: new Date(instant.getTime() + 1) };
  }
  throw badRequest(`${name} must be an RFC 3339 date (2024-01-21) or date-time (2024-01-21T16:23:40Z): ${value}`);
}

/** Parses the visits query string. Dates are inclusive: enddate=2024-01-21 covers that whole day. */
export function parseVisitsParams(query: Record<string, unknown>): VisitsParams {
  const area = identifier(query, 'area');
  const storeId = identifier(query, 'storeid');
  const startdate = single(query, 'startdate')?.trim();
  const enddate = single(query, 'enddate')?.trim();
  const from = startdate === undefined ? undefined : parseBound('startdate', startdate).start;
  const until = enddate === undefined ? undefined : parseBound('enddate', enddate).end;
  if (from && until && from.getTime() >= until.getTime()) throw badRequest('startdate must not be after enddate');
  return {
    ...(area !== undefined ? { area } : {}),
    ...(storeId !== undefined ? { storeId } : {}),
    ...(from ? { from } : {}),
    ...(until ? { until } : {}),
  };
}
