/** The broker cannot take a message now (disconnected, or it refused it). Callers answer 503 or retry. */
export class BrokerUnavailableError extends Error {}
