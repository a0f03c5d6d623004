import { PDFDocument, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { reportPdf, winAnsi, wrap } from '../../functions/core/proof/evidence-pdf.js';
import type { Block } from '../../functions/core/proof/evidence-report.js';
import { reportHtml } from '../../functions/core/proof/evidence-report.js';
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
