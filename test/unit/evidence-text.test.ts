import { PDFDocument, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import type { VersionRecord } from '../../functions/core/domain/model.js';
import { reportPdf, winAnsi, wrap } from '../../functions/core/proof/evidence-pdf.js';
import type { Block, ReportInput } from '../../functions/core/proof/evidence-report.js';
import { reportBlocks, reportHtml } from '../../functions/core/proof/evidence-report.js';
import { shown } from '../../functions/core/proof/evidence-text.js';

const HOSTILE = 'A\u0000B\u0007C\u202Edef\u202C \u200B\u2066x\u2069 \ud83d \ud83c\udf89 漢字 ő é — “q” <b>&';

describe('evidence report text', () => {
  it('shows invisible characters as <U+XXXX>, replaces lone surrogates, and cuts long values saying so', () => {
    expect(shown(HOSTILE, 1000)).toBe(
      'A<U+0000>B<U+0007>C<U+202E>def<U+202C> <U+200B><U+2066>x<U+2069> \ufffd 🎉 漢字 ő é — “q” <b>&',
    );
    expect(shown('line\r\nnext\ttab', 100)).toBe('line<U+000D><U+000A>next<U+0009>tab');
    expect(shown('🎉'.repeat(10), 3)).toBe('🎉🎉🎉… (10 characters, cut at 3)');
  });

  it('maps text to WinAnsi for the standard fonts: base letters where they exist, ? otherwise', async () => {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const charset = new Set(font.getCharacterSet());
    expect(winAnsi('é — “q” €', charset)).toBe('é — “q” €');
    expect(winAnsi('ő ł 漢 🎉 ﬁ', charset)).toBe('o ? ? ? fi');
    // Whatever comes in, the font can measure what comes out.
    expect(() => font.widthOfTextAtSize(winAnsi(shown(HOSTILE, 1000), charset), 10)).not.toThrow();
    const lines = wrap(`short words then ${'x'.repeat(400)} end`, font, 10, 200);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(font.widthOfTextAtSize(line, 10)).toBeLessThanOrEqual(200);
    expect(lines.join('')).toContain('x'.repeat(50));
  });

  it('writes a PDF and an HTML page from hostile blocks without throwing, escaped, over several pages', async () => {
    const blocks: Block[] = [
      { kind: 'heading', level: 1, text: shown(HOSTILE, 100) },
      ...Array.from(
        { length: 120 },
        (_, i): Block => ({
          kind: 'fields',
          rows: [{ label: `row ${i} ${HOSTILE}`, value: shown(HOSTILE.repeat(3), 500), mono: i % 2 === 0 }],
        }),
      ),
      { kind: 'code', lines: [HOSTILE] },
    ];
    const pdf = await reportPdf(blocks, {
      title: HOSTILE,
      generatedAt: new Date('2026-11-26T10:00:00Z'),
      software: 'Redline test',
      footer: HOSTILE,
    });
    const loaded = await PDFDocument.load(pdf);
    expect(loaded.getPageCount()).toBeGreaterThan(2);
    // The metadata is UTF-16: the title is kept as given (but for the lone surrogate).
    const title = loaded.getTitle() ?? '';
    expect(title.startsWith('A\u0000B\u0007C\u202Edef\u202C')).toBe(true);
    expect(title.endsWith('🎉 漢字 ő é — “q” <b>&')).toBe(true);
    const html = reportHtml(blocks, HOSTILE);
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;b&gt;&amp;');
    for (const invisible of ['\u0000', '\u0007', '\u202E']) expect(html).not.toContain(invisible);
  });
});

describe('provenance rows', () => {
  it('names each TLS chain and the SHA-256 of every certificate, leaf first, without dumping the PEM', async () => {
    const { createHash, randomBytes } = await import('node:crypto');
    const { provenanceRows } = await import('../../functions/core/proof/evidence-report.js');
    const ders = [randomBytes(700), randomBytes(650)];
    const pem = (der: Buffer) =>
      `-----BEGIN CERTIFICATE-----\n${der
        .toString('base64')
        .replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
    const rows = provenanceRows(
      {
        url: 'https://example.org/a',
        tlsChains: [
          {
            origin: 'https://example.org',
            connection: 'fetcher',
            ipAddress: '93.184.216.34',
            protocol: 'TLSv1.3',
            cipher: 'TLS_AES_128_GCM_SHA256',
            authorized: true,
            chain: ders.map(pem),
          },
        ],
      },
      200,
      2000,
    );
    const chain = rows.find((r) => r.label.startsWith('TLS chain https://example.org'));
    expect(chain?.value).toContain('TLSv1.3');
    expect(chain?.value).toContain('2 certificate(s)');
    const prints = rows.filter((r) => /certificate \d SHA-256/.test(r.label)).map((r) => r.value);
    expect(prints).toEqual(ders.map((d) => createHash('sha256').update(d).digest('hex')));
    expect(rows.some((r) => r.value.includes('BEGIN CERTIFICATE'))).toBe(false);
  });
});

describe('evidence report wording', () => {
  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const version = (number: number): VersionRecord => ({
    watchId: 'w_1',
    number,
    captureId: `20261124T101500123Z-abc${number}`,
    url: 'https://news.example/a',
    capturedAt: `2026-11-24T10:1${number}:00.000Z`,
    title: 'A story',
    textHash: digest('1'),
    artifacts: { payloads: { digest: digest('2'), size: 392, contentType: 'application/json' } },
    edits: [],
  });
  const input = (over: Partial<ReportInput> = {}): ReportInput => ({
    url: 'https://news.example/a',
    watchId: 'w_1',
    title: 'A story',
    from: 1,
    to: 2,
    generatedAt: '2026-11-25T00:00:00.000Z',
    software: 'Redline test',
    sides: [
      { role: 'before', version: version(1), files: [], artifacts: [], absent: [] },
      {
        role: 'after',
        version: version(2),
        files: [],
        artifacts: [{ kind: 'payloads', digest: digest('2'), size: 392 }],
        absent: [],
      },
    ],
    diff: { path: 'diff.html', summary: '', edits: 1, major: 0, silent: true, modified: null },
    chain: [],
    tokens: [],
    tsaCa: false,
    tsaCaFingerprints: [],
    wacz: { missing: 'none' },
    maxFieldChars: 2000,
    maxProvenanceEntries: 50,
    ...over,
  });
  const text = (blocks: Block[]) => reportHtml(blocks, 't');

  it('says what a silent edit observed: no modified date at all, or one that stayed', () => {
    expect(text(reportBlocks(input()))).toContain(
      'silent: the text changed, and the page shows no modified date',
    );
    expect(text(reportBlocks(input()))).not.toContain('kept its modified date');
    const dated = input({
      diff: { path: 'diff.html', summary: '', edits: 1, major: 0, silent: true, modified: '2026-11-20' },
    });
    expect(text(reportBlocks(dated))).toContain('modified date stayed 2026-11-20');
  });

  it('names an artifact the bundle lacks plainly, and warns when nothing anchors the bundle in time', () => {
    const html = text(reportBlocks(input()));
    expect(html).toContain('payloads (392 bytes) not included in this bundle');
    expect(html).not.toContain(' in not in ');
    expect(html).toContain('Nothing in this bundle anchors it in time');
    // The capture's times, each labelled; the start read from the capture id when there is no provenance.
    expect(html).toContain('<dt>Capture started</dt><dd><bdi>2026-11-24T10:15:00.123Z</bdi></dd>');
    expect(html).toContain('<dt>Version recorded</dt><dd><bdi>2026-11-24T10:12:00.000Z</bdi></dd>');
  });

  it('starts the commands on a new PDF page', async () => {
    const blocks: Block[] = [
      { kind: 'para', text: 'first page' },
      { kind: 'page' },
      { kind: 'page' },
      { kind: 'para', text: 'second page' },
    ];
    const doc = await PDFDocument.load(
      await reportPdf(blocks, { title: 't', generatedAt: new Date(0), software: 's', footer: 'f' }),
    );
    expect(doc.getPageCount()).toBe(2);
    expect(reportBlocks(input()).findIndex((b) => b.kind === 'page')).toBeGreaterThan(0);
  });
});
