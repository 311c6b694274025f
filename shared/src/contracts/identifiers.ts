/**
 * Store ids and area codes: 1 to 64 ASCII letters, digits, `-` or `_`. The real store master's ids
 * (`RP00001`, 7–8 characters) and area codes (`7100015`) fit with room to spare, and so do UUIDs.
 * Nothing else is accepted — no spaces, control characters, escapes or look-alike letters — so an
 * id can be echoed into an error text, a log line or a terminal as it is.
 */
const identifier = /^[A-Za-z0-9_-]{1,64}$/;

/** What an identifier must be, for error texts ("store_id: must be …"). */
export const IDENTIFIER_RULE = "must be 1 to 64 characters, each a letter A-Z or a-z, a digit, '-' or '_'";

export function isIdentifier(value: string): boolean {
  return identifier.test(value);
}
