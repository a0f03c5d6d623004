import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { extractPdfText, loadPdfJs } from '../../functions/core/detect/pdf.js';
import { PdfError } from '../../functions/core/domain/errors.js';
import { simplePdf } from '../support/simple-pdf.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('extractPdfText', () => {
  it('returns paragraphs in reading order with their pages, and the document title', async () => {
    const article = await extractPdfText(
      simplePdf([['First paragraph on page one.', 'Second paragraph.'], ['On page two.']], 'Annual report'),
    );
    expect(article).toMatchObject({
      title: 'Annual report',
      blocks: ['First paragraph on page one.', 'Second paragraph.', 'On page two.'],
      pages: [1, 1, 2],
    });
  });

  it('throws a PdfError on an encrypted PDF', async () => {
    await expect(
      extractPdfText(simplePdf([['Secret.']], 'Locked', { encrypted: true })),
    ).rejects.toBeInstanceOf(PdfError);
  });

  it('leaves no stand-in rendering globals behind, and runs pdf.js’s worker on this thread', async () => {
    await loadPdfJs();
    const scope = globalThis as Record<string, unknown>;
    expect([scope.DOMMatrix, scope.ImageData, scope.Path2D]).toEqual([undefined, undefined, undefined]);
    expect(scope.pdfjsWorker).toEqual({ WorkerMessageHandler: expect.any(Function) });
  });

  it('works bundled by esbuild into one file, with neither pdf.js nor @napi-rs/canvas on disk beside it', async () => {
    // Prepare: the function's bundle as CDK's NodejsFunction builds it (ESM, node22), in a directory
    // from which no node_modules can be reached.
    const dir = mkdtempSync(join(tmpdir(), 'redline-pdf-bundle-'));
    dirs.push(dir);
    const pdf = join(dir, 'report.pdf');
    writeFileSync(pdf, simplePdf([['Bundled extraction works.'], ['Page two too.']], 'Bundled'));
    writeFileSync(
      join(dir, 'entry.ts'),
      `import { readFileSync, writeFileSync } from 'node:fs';
import { extractPdfText } from ${JSON.stringify(join(import.meta.dirname, '../../functions/core/detect/pdf.ts'))};
const article = await extractPdfText(readFileSync(process.argv[2]));
writeFileSync(process.argv[3], JSON.stringify(article));`,
    );
    await build({
      entryPoints: [join(dir, 'entry.ts')],
      outfile: join(dir, 'index.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      mainFields: ['module', 'main'],
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
    rmSync(join(dir, 'entry.ts'));
    // Act
    const out = join(dir, 'article.json');
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(dir, 'index.mjs'), pdf, out],
      { cwd: dir, env: { PATH: process.env.PATH } },
    );
    // Assess
    expect({ stdout, stderr }).toEqual({ stdout: '', stderr: '' }); // not even pdf.js's warning about canvas
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({
      title: 'Bundled',
      blocks: ['Bundled extraction works.', 'Page two too.'],
      pages: [1, 2],
    });
  });
});
