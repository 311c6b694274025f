import type { SubmittedVisit } from '@retail-pulse/shared/contracts';
import type { ImageEntry, VisitCountsEntry } from '@retail-pulse/shared/readModels';

/**
 * The visits of a retry: of each visit of the original job with a failed or cancelled image, the
 * same store and time with exactly those images' URLs, in their order (as submitted: the read
 * model keeps a URL's credentials for the download, and only the API's answers mask them).
 * `images` are the original's images in submission order, `visits` its visits' counts. Pure.
 */
export function retryVisitsOf(visits: readonly VisitCountsEntry[], images: readonly ImageEntry[]): SubmittedVisit[] {
  const retried: SubmittedVisit[] = [];
  let offset = 0;
  for (const [storeId, visitTime, total] of visits) {
    const failed = images
      .slice(offset, offset + total)
      .filter((image) => image[3] === 'failed' || image[3] === 'cancelled')
      .map((image) => image[0]);
    if (failed.length > 0) retried.push({ storeId, visitTime, imageUrls: failed });
    offset += total;
  }
  return retried;
}
