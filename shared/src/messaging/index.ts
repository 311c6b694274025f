/** RabbitMQ: the topology, the broker connection, subscriptions, dead letters, outages. */
export * from './broker';
export * from './connect';
export * from './declare';
export * from './deadLetters';
export * from './errors';
export * from './metrics';
export * from './nodes';
export * from './outage';
export * from './projectionQueue';
export * from './retryPolicy';
export * from './subscribe';
export * from './topology';
