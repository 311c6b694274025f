import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The key webhooks are signed with under `npm start`: `given` (WEBHOOK_SECRET) when set, else the
 * installation's own, made once and kept in `<dataDir>/webhook-secret` (readable by its owner
 * only), so that receivers configured with it go on verifying across restarts.
 */
export function installationWebhookSecret(
  dataDir: string,
  given: string | undefined,
  say: (message: string) => void,
): string {
  if (given !== undefined) return given;
  const file = join(dataDir, 'webhook-secret');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      say(`made this installation's webhook secret: ${file} (receivers verify X-RP-Signature with it)`);
    } catch (error) {
      // Another start made it first: that one is the installation's.
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 16) throw new Error(`${file} holds no usable webhook secret (16 characters at least)`);
  return secret;
}
