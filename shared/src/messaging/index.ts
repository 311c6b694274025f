/** RabbitMQ: the topology, the broker connection, subscriptions, delayed retries, dead letters, outages. */
export * from './broker';
export * from './connect';
export * from './declare';
export * from './delayedRetries';
export * from './deadLetters';
export * from './errors';
export * from './metrics';
export * from './nodes';
export * from './outage';
export * from './projectionQueue';
export * from './retryForwarder';
export * from './retryPolicy';
export * from './subscribe';
export * from './topology';
export * from './partTraces';
