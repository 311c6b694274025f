/**
 * What the chaos run says once its checks are done, beside its JSON figures: the jobs in a wrong
 * state, the services that died on their own, each broker fault's time to resume, the duplicates
 * absorbed, the retries forwarded and the machine's RabbitMQ probes.
 */
import type { PlannedJob } from './plan';

export interface ChaosFindings {
  /** Accepted jobs whose terminal state is not the planned one, with what status answered. */
  wrong: Array<[jobId: number, job: PlannedJob]>;
  outcomes: ReadonlyMap<number, { status: string; error?: unknown[] }>;
  unexpectedDeaths: string[];
  resume: Array<{ fault: string; secondsWithoutProgress: Record<string, number> }>;
  duplicatesAbsorbed: {
    projectionEventsAlreadyInLog: number;
    processorRedeliveries: number;
    processorPublishesSentAgain: number;
    ingestPublishesSentAgain: number;
  };
  retriesForwarded: number;
  retriesForwardedAfterFirstFault: number;
  machine: { upAtStart: boolean; probes: number; failed: number };
}

export function sayFindings(say: (message: string) => void, findings: ChaosFindings): void {
  const { wrong, outcomes, unexpectedDeaths, resume, duplicatesAbsorbed, machine } = findings;
  if (wrong.length > 0)
    say(
      `wrong states, e.g. ${JSON.stringify(wrong.slice(0, 3).map(([id, job]) => ({ id, expected: job.expected, got: outcomes.get(id) })))}`,
    );
  if (unexpectedDeaths.length > 0) say(`services that died on their own: ${unexpectedDeaths.join(', ')}`);
  for (const { fault, secondsWithoutProgress } of resume) {
    say(
      `${fault}: longest time without progress — ${Object.entries(secondsWithoutProgress)
        .map(([service, seconds]) => `${service} ${seconds} s`)
        .join(', ')}`,
    );
  }
  say(
    `duplicates absorbed: the projection dropped ${duplicatesAbsorbed.projectionEventsAlreadyInLog} event(s) already ` +
      `in the log; the image-processor took ${duplicatesAbsorbed.processorRedeliveries} redelivered message(s) ` +
      `and sent ${duplicatesAbsorbed.processorPublishesSentAgain} publish(es) again; the ingest sent ` +
      `${duplicatesAbsorbed.ingestPublishesSentAgain} again`,
  );
  say(
    `retries forwarded from the delay queues to the work queue: ${findings.retriesForwarded} ` +
      `(${findings.retriesForwardedAfterFirstFault} after the first broker fault)`,
  );
  say(
    machine.upAtStart
      ? `the machine's RabbitMQ answered ${machine.probes - machine.failed} of ${machine.probes} probes (one a second)`
      : "the machine's RabbitMQ was not running at the start; the run did not need it",
  );
}
