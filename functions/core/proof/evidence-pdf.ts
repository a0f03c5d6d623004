/**
 * The evidence report as a PDF, from the same blocks as the HTML report: A4 pages, wrapped text, page
 * breaks, the 14 standard fonts only (pdf-lib, pure JavaScript: it runs in Lambda too). Standard fonts
 * encode WinAnsi only, so every character outside it is mapped first (accents dropped where that leaves a
 * WinAnsi letter, anything else `?`): archived titles can hold any Unicode, and nothing here throws for it.
 */
import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from 'pdf-lib';
import type { Block } from './evidence-report.js';
import { shown } from './evidence-text.js';

const PAGE: [number, number] = [595.28, 841.89];
const MARGIN = 50;
const WIDTH = PAGE[0] - 2 * MARGIN;
const BODY = 9.5;
const MONO = 7;
const HEADING = { 1: 17, 2: 12.5, 3: 10.5 } as const;
const INDENT = 14;
/** Pages at most: a report is a few pages; anything beyond is cut with a note (the HTML has it all). */
const MAX_PAGES = 500;

interface Fonts {
  regular: PDFFont;
  bold: PDFFont;
  mono: PDFFont;
}

/** Maps text to what a standard font can encode: WinAnsi characters as they are, others by their base letter, or `?`. */
export function winAnsi(text: string, charset: ReadonlySet<number>): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (charset.has(code)) {
      out += ch;
      continue;
    }
    const base = ch.normalize('NFKD').replace(/\p{M}/gu, '');
    out += base.length > 0 && Array.from(base).every((c) => charset.has(c.codePointAt(0)!)) ? base : '?';
  }
  return out;
}

/** Lines of at most `width` points: broken at spaces, and inside words longer than a line. */
export function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  const fits = (s: string) => font.widthOfTextAtSize(s, size) <= width;
  for (const word of text.split(' ')) {
    const candidate = line ? `${line} ${word}` : word;
    if (fits(candidate)) {
      line = candidate;
      continue;
    }
    if (line) lines.push(line);
    line = '';
    let rest = word;
    while (!fits(rest)) {
      let cut = 1;
      const chars = Array.from(rest);
      while (cut < chars.length && fits(chars.slice(0, cut + 1).join(''))) cut++;
      lines.push(chars.slice(0, cut).join(''));
      rest = chars.slice(cut).join('');
    }
    line = rest;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

class Writer {
  page: PDFPage;
  y: number;
  pages = 1;
  full = false;

  constructor(
    private readonly doc: PDFDocument,
    readonly fonts: Fonts,
    private readonly charset: ReadonlySet<number>,
  ) {
    this.page = doc.addPage(PAGE);
    this.y = PAGE[1] - MARGIN;
  }

  map(text: string): string {
    return winAnsi(shown(text, Number.MAX_SAFE_INTEGER), this.charset);
  }

  /** Room for `height` more points on this page, or a new page. */
  ensure(height: number): boolean {
    if (this.full) return false;
    if (this.y - height >= MARGIN) return true;
    if (this.pages >= MAX_PAGES) {
      this.page.drawText('(The report continues in report.html.)', {
        x: MARGIN,
        y: MARGIN - 20,
        size: BODY,
        font: this.fonts.bold,
      });
      this.full = true;
      return false;
    }
    this.page = this.doc.addPage(PAGE);
    this.pages++;
    this.y = PAGE[1] - MARGIN;
    return true;
  }

  lines(text: string, font: PDFFont, size: number, indent = 0, color = rgb(0.1, 0.1, 0.12)): void {
    const leading = size * 1.35;
    for (const line of wrap(this.map(text), font, size, WIDTH - indent)) {
      if (!this.ensure(leading)) return;
      this.y -= leading;
      this.page.drawText(line, { x: MARGIN + indent, y: this.y, size, font, color });
    }
  }

  /** What follows starts on a new page (unless this one is still empty). */
  newPage(): void {
    if (this.y >= PAGE[1] - MARGIN) return;
    this.ensure(PAGE[1]);
  }

  gap(points: number): void {
    this.y -= points;
  }
}

function drawBlock(w: Writer, block: Block): void {
  const { regular, bold, mono } = w.fonts;
  switch (block.kind) {
    case 'heading': {
      const size = HEADING[block.level];
      w.gap(block.level === 3 ? 4 : 10);
      // Keep a heading with at least a few lines of what follows it.
      w.ensure(size * 1.35 + BODY * 4);
      w.lines(block.text, bold, size);
      w.gap(3);
      return;
    }
    case 'para':
      w.lines(block.text, regular, BODY, 0, block.warn ? rgb(0.48, 0.04, 0.04) : undefined);
      w.gap(4);
      return;
    case 'fields':
      for (const row of block.rows) {
        const font = row.mono ? mono : regular;
        const size = row.mono ? MONO : BODY;
        const label = w.map(row.label);
        const value = w.map(row.value);
        const labelWidth = bold.widthOfTextAtSize(`${label}: `, BODY);
        if (labelWidth + font.widthOfTextAtSize(value, size) <= WIDTH) {
          if (!w.ensure(BODY * 1.35)) return;
          w.y -= BODY * 1.35;
          w.page.drawText(`${label}:`, { x: MARGIN, y: w.y, size: BODY, font: bold });
          w.page.drawText(value, { x: MARGIN + labelWidth, y: w.y, size, font });
        } else {
          w.lines(`${row.label}:`, bold, BODY);
          w.lines(row.value, font, size, INDENT);
        }
      }
      w.gap(4);
      return;
    case 'code':
      for (const line of block.lines) w.lines(line, mono, MONO, INDENT);
      w.gap(5);
      return;
    case 'page':
      w.newPage();
      return;
  }
}

/** The report's PDF bytes; `generatedAt` is its creation date (a bundle is the same for the same archive and time). */
export async function reportPdf(
  blocks: Block[],
  meta: { title: string; generatedAt: Date; software: string; footer: string },
): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const fonts: Fonts = {
    regular: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
    mono: await doc.embedFont(StandardFonts.Courier),
  };
  const charset = new Set(fonts.regular.getCharacterSet());
  const writer = new Writer(doc, fonts, charset);
  for (const block of blocks) drawBlock(writer, block);
  const pages = doc.getPages();
  const footer = winAnsi(shown(meta.footer, 200), charset);
  for (const [i, page] of pages.entries()) {
    page.drawText(`${footer} - page ${i + 1} of ${pages.length}`, {
      x: MARGIN,
      y: MARGIN / 2,
      size: 7,
      font: fonts.regular,
      color: rgb(0.4, 0.4, 0.45),
    });
  }
  // Metadata strings are UTF-16 in the PDF: any title is safe there, control characters too.
  doc.setTitle(meta.title);
  doc.setCreator(meta.software);
  doc.setProducer(`${meta.software} (pdf-lib)`);
  doc.setCreationDate(meta.generatedAt);
  doc.setModificationDate(meta.generatedAt);
  return doc.save({ useObjectStreams: false });
}
