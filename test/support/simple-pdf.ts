/**
 * Writes small, valid PDF 1.4 files with a text layer (Helvetica, one paragraph after another, blank
 * line between paragraphs), for tests and the detection bench. Each page is a list of paragraphs.
 */
export function simplePdf(
  pages: string[][],
  title = 'Report',
  options: { encrypted?: boolean } = {},
): Uint8Array {
  const pdfString = (text: string) => text.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, '?');
  const wrap = (text: string) => {
    const lines: string[] = [];
    let line = '';
    for (const word of text.split(/\s+/)) {
      if (line && `${line} ${word}`.length > 85) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    if (line) lines.push(line);
    return lines;
  };
  const objects: string[] = [];
  const add = (body: string) => objects.push(body);
  add('<< /Type /Catalog /Pages 2 0 R >>');
  add(''); // pages, filled below
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  add(`<< /Title (${pdfString(title)}) /Producer (Redline tests) >>`);
  const kids: number[] = [];
  for (const paragraphs of pages) {
    const ops = ['BT', '/F1 11 Tf', '14 TL', '72 740 Td'];
    for (const paragraph of paragraphs) {
      for (const line of wrap(paragraph)) ops.push(`(${pdfString(line)}) Tj`, 'T*');
      ops.push('T*');
    }
    ops.push('ET');
    const stream = ops.join('\n');
    const contentId = add(`<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`);
    const pageId = add(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contentId} 0 R >>`,
    );
    kids.push(pageId);
  }
  // A standard security handler whose user password is not empty: readers must ask for a password.
  const encrypt = options.encrypted
    ? add(`<< /Filter /Standard /V 1 /R 2 /O <${'a1'.repeat(32)}> /U <${'b2'.repeat(32)}> /P -44 >>`)
    : undefined;
  objects[1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  // Parts joined once at the end, their byte offsets kept as they are added (linear in the page count).
  const parts = ['%PDF-1.4\n'];
  let length = Buffer.byteLength(parts[0] ?? '');
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(length);
    const object = `${i + 1} 0 obj\n${body}\nendobj\n`;
    parts.push(object);
    length += Buffer.byteLength(object);
  });
  const xref = length;
  let out = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  const security = encrypt ? ` /Encrypt ${encrypt} 0 R /ID [<${'0f'.repeat(16)}> <${'0f'.repeat(16)}>]` : '';
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 4 0 R${security} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(parts.join('') + out, 'latin1');
}

/**
 * A one-page PDF whose content stream is `inflatedBytes` zeros, FlateDecode'd: an inflate bomb (1 GiB of
 * zeros compresses to ~1 MB). Compressed a chunk at a time, so building it never holds the inflated bytes.
 */
export async function inflateBombPdf(inflatedBytes = 2 ** 30): Promise<Uint8Array> {
  const { createDeflate } = await import('node:zlib');
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (part: Buffer) => parts.push(part));
  const done = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  const chunk = Buffer.alloc(2 ** 20);
  for (let written = 0; written < inflatedBytes; written += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, inflatedBytes - written));
    if (!deflate.write(part)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  const stream = Buffer.concat(parts);
  const head = [
    '%PDF-1.4',
    '1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj',
    '2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj',
    '3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>\nendobj',
    `4 0 obj\n<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`,
  ];
  const offsets: number[] = [];
  let text = '';
  for (const part of head) {
    if (part.includes(' 0 obj')) offsets.push(Buffer.byteLength(text));
    text += `${part}\n`;
  }
  const before = Buffer.from(text.slice(0, -1), 'latin1');
  const afterStream = '\nendstream\nendobj\n';
  const xref = before.length + stream.length + afterStream.length;
  let tail = `${afterStream}xref\n0 5\n0000000000 65535 f \n`;
  for (const offset of offsets) tail += `${String(offset).padStart(10, '0')} 00000 n \n`;
  tail += `trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.concat([before, stream, Buffer.from(tail, 'latin1')]);
}

/** A PDF of `count` pages with one short paragraph each (20,000 pages: ~3 MB). */
export function manyPagesPdf(count: number): Uint8Array {
  return simplePdf(
    Array.from({ length: count }, (_, i) => [`Page ${i + 1}.`]),
    'Long report',
  );
}
