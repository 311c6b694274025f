import type { Binary } from 'mongodb';
import type { RecordedEvent } from '../../contracts/events';
import { unpack } from '../../mongo/packed';

/**
 * The jobs cancelled, each with its JobCancelled's position in the log. An image's outcome is a
 * result of its job only when it comes before the job's cancellation, as the job models have it:
 * one recorded after (an image that was being downloaded when the cancel arrived) counts for the
 * visits no more than for the job, which shows that image cancelled.
 */
export type Cancellations = ReadonlyMap<number, number>;

/**
 * The events of a batch that count for the visits, in order, and the cancellations with the
 * batch's own. Pure: the map given is copied when the batch adds to it. A cancellation folded
 * again (a refold after a restart) keeps its first position, so what came before it still counts.
 */
export function countedForVisits(
  events: readonly RecordedEvent[],
  cancellations: Cancellations,
): { counted: RecordedEvent[]; cancellations: Cancellations } {
  let added: Map<number, number> | undefined;
  const counted: RecordedEvent[] = [];
  for (const event of events) {
    const known = added ?? cancellations;
    if (event.type === 'JobCancelled') {
      if (!known.has(event.data.jobId)) (added ??= new Map(cancellations)).set(event.data.jobId, event.position);
      continue;
    }
    const cancelledAt = known.get(event.data.jobId);
    if (cancelledAt === undefined || event.position < cancelledAt) counted.push(event);
  }
  return { counted, cancellations: added ?? cancellations };
}

/** The cancellations as the visits collection keeps them: one document, a JSON list of [jobId, position]. */
export const CANCELLATIONS_KEY = 'cancelled';

export function cancellationsToJson(cancellations: Cancellations): string {
  return JSON.stringify([...cancellations].sort((a, b) => a[0] - b[0]));
}

export function cancellationsFromJson(stored: Binary | string | undefined): Cancellations {
  return new Map(stored ? unpack<Array<[number, number]>>(stored) : []);
}
