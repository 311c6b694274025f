import type { DomainEvent } from '@retail-pulse/shared/contracts';
import { serviceUnavailable } from '@retail-pulse/shared/http';
import { BrokerUnavailableError, type Broker } from '@retail-pulse/shared/messaging';

/** Publishes an event and resolves once the broker has confirmed it. */
export type ConfirmedSend = () => Promise<void>;

/** A command's event sent on its own to the events exchange. */
export function sendAlone(broker: Broker, event: DomainEvent): ConfirmedSend {
  return () =>
    broker.publish(broker.topology.names.eventsExchange, event.type, event, {
      messageId: event.eventId,
      type: event.type,
    });
}

/**
 * Sends a command's event and resolves once the broker has confirmed it. A broker that cannot
 * take it is the client's 503 (retry shortly): `onRefused` runs first.
 */
export async function publishEvent(
  send: ConfirmedSend,
  onRefused: (error: BrokerUnavailableError) => Promise<void> | void,
): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (!(error instanceof BrokerUnavailableError)) throw error;
    await onRefused(error);
    throw serviceUnavailable('the message broker is unavailable; retry shortly', 2);
  }
}
