/**
 * The read models, each rebuildable on its own: job status (progress, outcomes), visits (images)
 * and jobs (each job's detail, its images in order, the listing).
 */
export const readModelNames = ['jobStatus', 'visits', 'jobs'] as const;
export type ReadModelName = (typeof readModelNames)[number];

/** Which generation of each read model the API serves. */
export type ActiveGenerations = Record<ReadModelName, number>;
