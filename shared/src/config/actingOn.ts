import type { CommonConfig } from './config';
import { redactSecrets } from './redact';

type Target = Pick<CommonConfig, 'MONGO_URL' | 'MONGO_DB' | 'AMQP_URL' | 'TOPOLOGY_PREFIX'>;

/**
 * The line a command prints before it acts: which database, which broker and prefix, so an
 * operator sees a wrong environment before the command changes anything there. Credentials in
 * the URLs are redacted.
 */
export function actingOn(config: Target, uses: { database?: boolean; broker?: boolean }): string {
  const parts = [
    ...(uses.database ? [`database ${config.MONGO_DB} at ${redactSecrets(config.MONGO_URL)}`] : []),
    ...(uses.broker ? [`broker ${redactSecrets(config.AMQP_URL)} with prefix ${config.TOPOLOGY_PREFIX}`] : []),
  ];
  return `acting on ${parts.join(' and ')}`;
}
