import type { Logger } from '../config/logger';
import { parseStoreMasterImported } from '../contracts/storeMasterNotice';
import type { Broker } from '../messaging/broker';
import type { StoreMaster } from './current';

/**
 * Switches `master` as soon as a `StoreMasterImported` notice arrives, and reads the current
 * version again whenever the feed comes back (notices sent while it was down are not seen).
 */
export function followStoreMaster(
  broker: Pick<Broker, 'follow' | 'topology'>,
  master: StoreMaster,
  logger: Logger,
): Promise<void> {
  const refreshed = (promise: Promise<void>) =>
    promise.catch((error: unknown) =>
      logger.warn({ reason: (error as Error).message }, 'store master not refreshed; the next read tries again'),
    );
  return broker.follow({
    exchange: broker.topology.names.storeMasterExchange,
    // A malformed notice throws: the broker moves it to the dead-letter queue with the reason.
    onMessage: (content) => void refreshed(master.noticed(parseStoreMasterImported(content).data.storeMasterVersion)),
    onReady: () => void refreshed(master.refresh()),
    onLost: () => undefined,
  });
}
