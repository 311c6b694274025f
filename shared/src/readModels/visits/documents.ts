/** The visits read model's documents: written by the projection, read by the status API. */

/** One settled image with its provenance: the source of the visits query. */
export interface ImageRecordDocument {
  _id: string;
  jobId: number;
  visitIndex: number;
  imageIndex: number;
  storeId: string;
  areaCode: string | null;
  storeName: string | null;
  visitTime: Date;
  /** The visit's calendar date (UTC), as the visits query reports it. */
  date: string;
  url: string;
  status: 'processed' | 'failed';
  width: number | null;
  height: number | null;
  perimeter: number | null;
  /** When the image was measured (processed images only). */
  processedAt: Date | null;
  reason: string | null;
  position: number;
}
