/**
 * The suite's watch on the RabbitMQ it uses: while the suite runs it counts the broker's sockets and,
 * when they climb, prints what RabbitMQ says of itself (alarms, file descriptors, sockets) and which
 * connections it holds — a run's output then says why tests fail, not only that they do.
 */
import { amqpPortOf, brokerDiagnostics, brokerSockets, describeSockets } from '../../infra/local/brokerHealth';
import { testRabbitmqctl } from './ownRabbitMq';

/** Sockets on the broker's port past which the watch reports (a run holds ~10 at a time). */
const MANY_SOCKETS = 200;
const SAMPLE_EVERY_MS = 5_000;
const REPORT_AT_MOST_EVERY_MS = 60_000;

type Say = (message: string) => void;

/**
 * Samples the broker's sockets every few seconds for the whole run (the timer never holds the
 * process open); reports when they pass MANY_SOCKETS. Returns a stop function that gives the peak.
 */
export function watchBroker(amqpUrl: string, say: Say): () => string {
  const port = amqpPortOf(amqpUrl);
  let peak = 0;
  let lastReport = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      const states = await brokerSockets(port);
      const total = [...states.values()].reduce((sum, count) => sum + count, 0);
      peak = Math.max(peak, total);
      if (total >= MANY_SOCKETS && Date.now() - lastReport >= REPORT_AT_MOST_EVERY_MS) {
        lastReport = Date.now();
        say(
          `RabbitMQ holds ${total} sockets (${describeSockets(states)}):\n${await brokerDiagnostics(port, testRabbitmqctl)}`,
        );
      }
    })()
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, SAMPLE_EVERY_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    return `at most ${peak} sockets on RabbitMQ's port :${port} at a time`;
  };
}
