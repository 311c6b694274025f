import { createHash } from 'node:crypto';

/** A UUID derived from a name (SHA-1, RFC 4122 version 5 layout): the same name always gives the same id. */
export function uuidFromName(name: string): string {
  const bytes = createHash('sha1').update('retail-pulse:').update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An image is identified by its place in its job, so re-dispatching a job yields the same ids. */
export function imageIdOf(jobId: number, visitIndex: number, imageIndex: number): string {
  return `${jobId}:${visitIndex}:${imageIndex}`;
}

export function jobSubmittedEventId(jobId: number): string {
  return uuidFromName(`JobSubmitted/${jobId}`);
}

/** One cancellation per job: a cancel sent twice is logged once. */
export function jobCancelledEventId(jobId: number): string {
  return uuidFromName(`JobCancelled/${jobId}`);
}

/**
 * One settlement per image: ImageProcessed and ImageFailed of the same image share an id,
 * so the event log keeps the first outcome and rejects every later duplicate.
 */
export function imageSettledEventId(imageId: string): string {
  return uuidFromName(`ImageSettled/${imageId}`);
}
