/** Decodes an HTML/text body: charset from the Content-Type header, then from a <meta> tag, else UTF-8. */
export function decodeBody(body: Uint8Array, contentType: string): string {
  const fromHeader = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType)?.[1];
  const head = new TextDecoder('latin1').decode(body.subarray(0, 4096));
  const fromMeta =
    /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1] ??
    /<meta[^>]+content\s*=\s*["'][^"']*charset=([\w.:-]+)/i.exec(head)?.[1];
  for (const label of [fromHeader, fromMeta, 'utf-8']) {
    if (!label) continue;
    try {
      return new TextDecoder(label).decode(body);
    } catch {
      // Unknown label: try the next source.
    }
  }
  return new TextDecoder().decode(body);
}

export type DocumentKind = 'html' | 'pdf' | 'other';

/** What the body is, from its Content-Type and its first bytes (a lying header loses to a PDF signature). */
export function documentKind(body: Uint8Array, contentType: string): DocumentKind {
  const head = new TextDecoder('latin1').decode(body.subarray(0, 512)).trimStart().toLowerCase();
  if (head.startsWith('%pdf-')) return 'pdf';
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/pdf') return 'pdf';
  if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  if (
    (type === '' || type === 'text/plain') &&
    (head.startsWith('<!doctype html') || head.startsWith('<html'))
  )
    return 'html';
  return 'other';
}
