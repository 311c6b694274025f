import type { ServiceMetrics } from '../service/metrics';
import type { Broker, QueueCounts } from './broker';

/**
 * A broker client's metrics, read from the counts it keeps: reconnects, publishes sent again, and
 * per queue the redeliveries, requeues (retries after a failed handler) and dead letters. Queue
 * depths are not here: RabbitMQ reports them itself (its Prometheus plugin, port 15692).
 */
export function observeBroker(metrics: ServiceMetrics, broker: Broker): void {
  const perQueue = (count: keyof QueueCounts) => () =>
    [...broker.queueCounts].map(([queue, counts]) => ({ labels: { queue }, value: counts[count] }));
  metrics.gaugeOf({ name: 'rp_broker_connected', help: '1 while the connection to RabbitMQ is up, else 0' }, () =>
    broker.connected ? 1 : 0,
  );
  metrics.counterOf(
    { name: 'rp_broker_reconnects_total', help: 'Connections to RabbitMQ made again after a loss' },
    () => broker.stats.reconnects,
  );
  metrics.counterOf(
    {
      name: 'rp_broker_publish_retries_total',
      help: 'Publishes sent again because RabbitMQ refused or did not confirm them',
    },
    () => broker.stats.publishRetries,
  );
  metrics.counterOf(
    {
      name: 'rp_messages_redelivered_total',
      help: 'Deliveries RabbitMQ marked as delivered before (an earlier delivery was not acked), by queue',
      labelNames: ['queue'],
    },
    perQueue('redelivered'),
  );
  metrics.counterOf(
    {
      name: 'rp_message_retries_total',
      help: 'Deliveries handed back to their queue to be tried again after their handler failed, by queue',
      labelNames: ['queue'],
    },
    perQueue('requeued'),
  );
  metrics.counterOf(
    {
      name: 'rp_messages_dead_lettered_total',
      help: 'Messages moved to the dead-letter queue (invalid, or failing every try), by the queue they came from',
      labelNames: ['queue'],
    },
    perQueue('deadLettered'),
  );
}
