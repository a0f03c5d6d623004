/**
 * Text from archived pages (titles, URLs, provenance values) as the evidence report shows it: hostile input
 * made visible rather than obeyed. Control and formatting characters (newlines, bidirectional overrides,
 * zero-width joiners) are written out as `<U+XXXX>`, and over-long values are cut with a note. Pure.
 */

/** C0/C1 controls, and the format characters that reorder or hide text (bidi marks, zero-width, BOM). */
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is made visible
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/gu;

/** Unpaired UTF-16 surrogates (text cut mid-character somewhere upstream). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const codePoint = (c: string) => `<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`;

/** The value with invisible characters shown as `<U+XXXX>`, lone surrogates as U+FFFD, cut to `max` code points. */
export function shown(value: string, max: number): string {
  const whole = value.replace(LONE_SURROGATE, '\ufffd');
  const points = Array.from(whole);
  const cut = points.length > max;
  const text = (cut ? points.slice(0, max).join('') : whole).replace(INVISIBLE, codePoint);
  return cut ? `${text}… (${points.length} characters, cut at ${max})` : text;
}

export const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
