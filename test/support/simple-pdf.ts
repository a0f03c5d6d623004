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
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  const security = encrypt ? ` /Encrypt ${encrypt} 0 R /ID [<${'0f'.repeat(16)}> <${'0f'.repeat(16)}>]` : '';
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 4 0 R${security} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
