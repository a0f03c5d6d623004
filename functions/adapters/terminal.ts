/**
 * Text from pages and servers (titles, URLs, edit text, reasons, tags, headers, anything in records)
 * made safe to print on a terminal. Printed raw, a page could clear the screen (CSI 2J), retitle the
 * terminal (OSC 0), forge hyperlinks (OSC 8), write the clipboard (OSC 52), or reorder a line with bidi
 * overrides. Every such code point is shown as a visible escape instead:
 *
 * - C0 controls U+0000–U+001F, newline and tab included (a page's newline must not break a line the CLI
 *   lays out): `\n`, `\r`, `\t`, `\x1b`, …
 * - DEL U+007F and the C1 controls U+0080–U+009F (U+009B is a one-character CSI): `\x7f`, `\x9b`, …
 * - bidi embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069, and the marks U+200E, U+200F,
 *   U+061C: `\u202e`, …
 * - line and paragraph separators U+2028, U+2029, and lone surrogates: `\u2028`, `\ud800`.
 *
 * Everything else, backslashes included, is printed as it is. The CLI's own layout and colours are added
 * around the escaped text, never inside it; `--json` output is exact instead (see `terminalSafeJson`).
 */

const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visibleEscape(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every control, bidi control and separator shown as a visible escape (`\x1b`, `\u202e`). */
export function terminalSafe(text: string | number | undefined | null): string {
  return String(text ?? '').replace(UNSAFE, visibleEscape);
}

/** Code points JSON.stringify leaves raw that a terminal acts on: DEL, C1, bidi controls, separators. */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text with the code points JSON.stringify leaves raw (DEL, C1, bidi controls, line separators)
 * written as `\uXXXX` escapes: the same JSON value, parsed back exactly, and safe on a terminal. (Outside
 * strings JSON has only ASCII punctuation, digits, letters and whitespace, so only string contents change.)
 */
export function terminalSafeJsonText(json: string): string {
  return json.replace(JSON_UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `JSON.stringify(value, null, 2)` made terminal-safe (`--json` output). */
export function terminalSafeJson(value: unknown): string {
  return terminalSafeJsonText(JSON.stringify(value, null, 2) ?? 'null');
}
