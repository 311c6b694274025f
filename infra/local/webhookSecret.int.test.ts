import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installationWebhookSecret } from './webhookSecret';

let dataDir: string;
beforeEach(() => {
  dataDir = join(mkdtempSync(join(tmpdir(), 'rp-webhook-secret-')), 'data');
});
afterEach(() => rmSync(join(dataDir, '..'), { recursive: true, force: true }));

describe("the installation's webhook secret under npm start", () => {
  it('is made once, readable by its owner only, and the same at every later start', () => {
    const said: string[] = [];
    const first = installationWebhookSecret(dataDir, undefined, (message) => said.push(message));
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(dataDir, 'webhook-secret')).mode & 0o777).toBe(0o600);
    expect(installationWebhookSecret(dataDir, undefined, (message) => said.push(message))).toBe(first);
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(join(dataDir, 'webhook-secret'));
  });

  it('is WEBHOOK_SECRET when that is given, and no file is made', () => {
    expect(installationWebhookSecret(dataDir, 'given-secret-of-the-user', () => undefined)).toBe(
      'given-secret-of-the-user',
    );
    expect(() => readFileSync(join(dataDir, 'webhook-secret'))).toThrow();
  });

  it('refuses a file that holds no usable secret rather than signing with it', () => {
    installationWebhookSecret(dataDir, undefined, () => undefined);
    writeFileSync(join(dataDir, 'webhook-secret'), 'short\n');
    expect(() => installationWebhookSecret(dataDir, undefined, () => undefined)).toThrow('no usable webhook secret');
  });
});
