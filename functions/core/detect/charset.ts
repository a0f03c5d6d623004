/** How far into a body the sniffers look: prologues longer than this are not worth reading. */
const SNIFF_BYTES = 2048;
/** At most this many prologue items (comments, processing instructions, doctype) are skipped. */
const SNIFF_ITEMS = 32;

/** The encoding a byte-order mark names, if the body starts with one. */
function bomEncoding(body: Uint8Array): string | undefined {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return 'utf-8';
  if (body[0] === 0xfe && body[1] === 0xff) return 'utf-16be';
  if (body[0] === 0xff && body[1] === 0xfe) return 'utf-16le';
  return undefined;
}

/** The first bytes of a body as text, in the encoding its BOM names (else latin1), without the BOM. */
function headOf(body: Uint8Array): string {
  const bom = bomEncoding(body);
  const label = bom?.startsWith('utf-16') ? bom : 'latin1';
  try {
    return new TextDecoder(label)
      .decode(body.subarray(0, SNIFF_BYTES))
      .replace(/^(?:\uFEFF|\u00EF\u00BB\u00BF)/, '');
  } catch {
    return new TextDecoder('latin1').decode(body.subarray(0, SNIFF_BYTES));
  }
}

/** Decodes an HTML/text body: charset from a BOM, the Content-Type header, a <meta> tag, the XML declaration, else UTF-8. */
export function decodeBody(body: Uint8Array, contentType: string): string {
  const bom = bomEncoding(body);
  const fromHeader = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType)?.[1];
  const head = headOf(body);
  const fromMeta =
    /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1] ??
    /<meta[^>]+content\s*=\s*["'][^"']*charset=([\w.:-]+)/i.exec(head)?.[1];
  const fromXml = /^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([\w.:-]+)["']/i.exec(head)?.[1];
  for (const label of [bom, fromHeader, fromMeta, fromXml, 'utf-8']) {
    if (!label) continue;
    try {
      // The BOM is the strongest signal (WHATWG "decode"); TextDecoder drops it from the text.
      return new TextDecoder(label).decode(body);
    } catch {
      // Unknown label: try the next source.
    }
  }
  return new TextDecoder().decode(body);
}

export type DocumentKind = 'html' | 'pdf' | 'other';

/**
 * Whether the start of a body is an HTML or XHTML document: after white space, any number (bounded) of
 * XML declarations, processing instructions, comments and a doctype, in any order, comes `<html`, or the
 * doctype itself says html. An XHTML page served as XML (`<?xml …?>` first) is HTML to a reader.
 */
export function looksLikeHtml(head: string): boolean {
  let rest = head.replace(/^\uFEFF/, '');
  for (let item = 0; item < SNIFF_ITEMS; item++) {
    rest = rest.trimStart();
    const lower = rest.slice(0, 16).toLowerCase();
    if (lower.startsWith('<html') && /^<html[\s>/]/i.test(rest)) return true;
    if (lower.startsWith('<!doctype')) {
      if (/^<!doctype\s+html\b/i.test(rest)) return true;
      const end = rest.indexOf('>');
      if (end < 0) return false;
      rest = rest.slice(end + 1);
    } else if (lower.startsWith('<!--')) {
      const end = rest.indexOf('-->', 4);
      if (end < 0) return false;
      rest = rest.slice(end + 3);
    } else if (lower.startsWith('<?')) {
      const end = rest.indexOf('?>', 2);
      if (end < 0) return false;
      rest = rest.slice(end + 2);
    } else {
      return false;
    }
  }
  return false;
}

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
const SNIFFABLE_TYPES = new Set([
  '',
  'text/plain',
  'application/xml',
  'text/xml',
  'application/octet-stream',
]);

/** What the body is, from its Content-Type and its first bytes (a lying header loses to a PDF signature). */
export function documentKind(body: Uint8Array, contentType: string): DocumentKind {
  const head = headOf(body);
  if (head.trimStart().slice(0, 5).toLowerCase() === '%pdf-') return 'pdf';
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/pdf') return 'pdf';
  if (HTML_TYPES.has(type)) return 'html';
  if (SNIFFABLE_TYPES.has(type) && looksLikeHtml(head)) return 'html';
  return 'other';
}
