/**
 * User input echoed back in a reply ("Unknown symbol "X"") goes through here: control characters
 * (C0, DEL, C1), bidi overrides and isolates, zero-width characters and the BOM are removed (they
 * can reorder or hide text in chat clients and terminals), then the text is clipped. Markup is
 * escaped later by each platform adapter.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

export function stripControl(s: string): string {
  return s.replace(UNSAFE, '');
}

/** Safe to echo: control characters stripped, at most `n` characters (then `…`). */
export function echo(s: string, n = 24): string {
  const clean = stripControl(s);
  return clean.length > n ? `${clean.slice(0, n)}…` : clean;
}
