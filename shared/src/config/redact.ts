/**
 * Credentials in URLs never leave the service: not in an error a client reads, not in a log line.
 * Text is rewritten where it holds a URL, and only there, so the rest of a message stays as it was.
 */

/** A URL in running text: a scheme, `//`, then everything up to whitespace or a quote. */
const urlInText = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** `user:password@` (or a bare token as the user) before the host; the last `@` before the path ends it. */
const userinfo = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i;

/** `name=value` in a query string or a fragment. */
const parameter = /([?&#;])([^=&#;]*)=([^&#;]*)/g;

/** Parameter names (lower case, words split at `-`, `_` and `.`) that carry a secret however they are spelled. */
const secretWords = new Set(['key', 'sig', 'pass', 'pwd', 'auth', 'code', 'jwt']);
const secretParts = [
  'token',
  'secret',
  'password',
  'passwd',
  'signature',
  'apikey',
  'accesskey',
  'credential',
  'authorization',
  'session',
];

export const REDACTED = '***';

function isSecretName(encodedName: string): boolean {
  let name: string;
  try {
    name = decodeURIComponent(encodedName).toLowerCase();
  } catch {
    name = encodedName.toLowerCase();
  }
  const compact = name.replace(/[-_.\s]/g, '');
  return (
    name.split(/[-_.\s]/).some((word) => secretWords.has(word)) || secretParts.some((part) => compact.includes(part))
  );
}

function redactUrl(url: string): string {
  return url
    .replace(userinfo, `$1${REDACTED}@`)
    .replace(parameter, (whole, separator: string, name: string) =>
      isSecretName(name) ? `${separator}${name}=${REDACTED}` : whole,
    );
}

/**
 * Removes credentials from every URL in a text: the userinfo (`http://user:pass@host` becomes
 * `http://***@host`) and the values of query or fragment parameters whose names say they are
 * secret (token, key, sig, signature, password, secret, X-Amz-Signature, X-Amz-Credential, …).
 * Everything else is kept byte for byte.
 */
export function redactSecrets(text: string): string {
  return text.replace(urlInText, redactUrl);
}
