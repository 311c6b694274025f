import type { ActiveGenerations } from '../contracts/readModels';

/**
 * Read models live in generation-numbered collections so a replay can build a fresh set while the
 * API keeps answering from the current one, then switch at once.
 */
export function readModelCollections(generation: number) {
  return {
    /** The job-status model's own list of the jobs not yet settled, in blocks of job ids, read at start. */
    jobProgress: `rm${generation}_job_progress`,
    /**
     * A status document per job (the name is older than the ongoing documents): ongoing from the
     * job's first event, then its final answer, which never changes.
     */
    jobOutcomes: `rm${generation}_job_outcomes`,
    /** The visits query's buckets: per store and day, per area and day, and their directories. */
    visits: `rm${generation}_visits`,
    /** The jobs routes' documents: job details, image pages, listing blocks (shared/src/readModels/jobs). */
    jobs: `rm${generation}_jobs`,
    /** The jobs read model's own list of the jobs it holds open, in blocks of job ids, read at start. */
    jobsOpen: `rm${generation}_jobs_open`,
  };
}
export type ReadModelCollections = ReturnType<typeof readModelCollections>;

/** The collections of the active generations: each read model's from its own. */
export function activeCollections(active: ActiveGenerations): ReadModelCollections {
  const jobStatus = readModelCollections(active.jobStatus);
  const visits = readModelCollections(active.visits);
  const jobs = readModelCollections(active.jobs);
  return { ...jobStatus, visits: visits.visits, jobs: jobs.jobs, jobsOpen: jobs.jobsOpen };
}
