/** The read models, each rebuildable on its own: job status (progress, outcomes) and visits (images). */
export const readModelNames = ['jobStatus', 'visits'] as const;
export type ReadModelName = (typeof readModelNames)[number];

/** Which generation of each read model the API serves. */
export type ActiveGenerations = Record<ReadModelName, number>;
