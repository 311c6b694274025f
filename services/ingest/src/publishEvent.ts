import type { DomainEvent } from '@retail-pulse/shared/contracts';
import { serviceUnavailable } from '@retail-pulse/shared/http';
import { BrokerUnavailableError, type Broker } from '@retail-pulse/shared/messaging';

/**
 * Publishes a command's event to the events exchange and resolves once the broker has confirmed
 * it. A broker that cannot take it is the client's 503 (retry shortly): `onRefused` runs first.
 */
export async function publishEvent(
  broker: Broker,
  event: DomainEvent,
  onRefused: (error: BrokerUnavailableError) => Promise<void> | void,
): Promise<void> {
  try {
    await broker.publish(broker.topology.names.eventsExchange, event.type, event, {
      messageId: event.eventId,
      type: event.type,
    });
  } catch (error) {
    if (!(error instanceof BrokerUnavailableError)) throw error;
    await onRefused(error);
    throw serviceUnavailable('the message broker is unavailable; retry shortly', 2);
  }
}
