import type { RecordedEvent } from '../../contracts/events';
import type { ImageRecordDocument } from './documents';

/** The image-level record of a settled image, or nothing for events that settle no image. Pure. */
export function imageRecordOf(event: RecordedEvent): ImageRecordDocument | undefined {
  switch (event.type) {
    case 'JobSubmitted':
    case 'JobCancelled':
      return undefined;
    case 'ImageProcessed':
    case 'ImageFailed': {
      const { data } = event;
      const visitTime = new Date(data.visitTime);
      const common = {
        _id: data.imageId,
        jobId: data.jobId,
        visitIndex: data.visitIndex,
        imageIndex: data.imageIndex,
        storeId: data.storeId,
        visitTime,
        date: visitTime.toISOString().slice(0, 10),
        url: data.url,
        position: event.position,
      };
      return event.type === 'ImageProcessed'
        ? {
            ...common,
            areaCode: event.data.areaCode,
            storeName: event.data.storeName,
            status: 'processed',
            width: event.data.width,
            height: event.data.height,
            perimeter: event.data.perimeter,
            processedAt: new Date(event.data.processedAt),
            reason: null,
          }
        : {
            ...common,
            areaCode: null,
            storeName: null,
            status: 'failed',
            width: null,
            height: null,
            perimeter: null,
            processedAt: null,
            reason: event.data.reason,
          };
    }
    default: {
      const unhandled: never = event;
      throw new Error(`imageRecordOf: unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}
