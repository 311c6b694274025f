import type { ActiveGenerations } from '../contracts/readModels';

/**
 * Read models live in generation-numbered collections so a replay can build a fresh set while the
 * API keeps answering from the current one, then switch at once.
 */
export function readModelCollections(generation: number) {
  return {
    /** Jobs not yet settled, with their counts: few documents, rewritten as images settle. */
    jobProgress: `rm${generation}_job_progress`,
    /** Final answers of settled jobs: written once, never changed. */
    jobOutcomes: `rm${generation}_job_outcomes`,
    /** The visits query's buckets: per store and day, per area and day, and their directories. */
    visits: `rm${generation}_visits`,
    /** The jobs routes' documents: job details, image pages, listing blocks (shared/src/readModels/jobs). */
    jobs: `rm${generation}_jobs`,
  };
}
export type ReadModelCollections = ReturnType<typeof readModelCollections>;

/** The collections of the active generations: each read model's from its own. */
export function activeCollections(active: ActiveGenerations): ReadModelCollections {
  const jobStatus = readModelCollections(active.jobStatus);
  const visits = readModelCollections(active.visits);
  const jobs = readModelCollections(active.jobs);
  return { ...jobStatus, visits: visits.visits, jobs: jobs.jobs };
}
