import { imageIdOf, metadataFor, type ImageRequested, type JobSubmitted } from '@retail-pulse/shared/contracts';
import { ImageRequestedRoutingKey, type Broker } from '@retail-pulse/shared/messaging';

/** One ImageRequested per image of a job, with ids fixed by the image's place in the job. Pure. */
export function imageRequestsOf(job: JobSubmitted): ImageRequested[] {
  const { jobId } = job.data;
  return job.data.visits.flatMap((visit, visitIndex) =>
    visit.imageUrls.map((url, imageIndex) => ({
      type: 'ImageRequested' as const,
      version: 1 as const,
      data: {
        jobId,
        imageId: imageIdOf(jobId, visitIndex, imageIndex),
        visitIndex,
        imageIndex,
        storeId: visit.storeId,
        visitTime: visit.visitTime,
        url,
        attempt: 1,
      },
      metadata: metadataFor(jobId, job.eventId),
    })),
  );
}

/**
 * Fans a job out into work items; resolves once the broker confirmed every one. If this fails
 * half-way, the job is fanned out again in full: image ids are deterministic and the event log
 * keeps one outcome per image, so the repeats cost work but never change a count.
 */
export async function dispatchJob(broker: Broker, job: JobSubmitted): Promise<number> {
  const requests = imageRequestsOf(job);
  await Promise.all(
    requests.map((request) =>
      broker.publish(broker.topology.names.workExchange, ImageRequestedRoutingKey, request, {
        messageId: request.data.imageId,
        type: request.type,
      }),
    ),
  );
  return requests.length;
}
