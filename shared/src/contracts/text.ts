/**
 * Characters no client text (a URL, a query parameter) may hold: controls (NUL, CR, LF, ESC, …),
 * invisible format characters (bidi overrides and isolates, zero-width characters) and lone
 * surrogates. Each can forge a log line, a terminal's colours or the reading order of a text.
 */
const unsafe = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

export function hasUnsafeCharacters(value: string): boolean {
  return unsafe.test(value);
}
