import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { BrokerUnavailableError } from './errors';

/**
 * True when an error means a backing service (the database or the broker) is unreachable for
 * now — a condition to wait out, not a fault of the message or request being handled.
 */
export function isOutage(error: unknown): boolean {
  if (
    error instanceof BrokerUnavailableError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError
  ) {
    return true;
  }
  const code = (error as { code?: unknown })?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE';
}
