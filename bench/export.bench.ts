/**
 * WACZ export of one watch with many versions: time, size and peak memory of `buildWacz` streaming to a
 * file, then the independent validator's time over the result. Each version is a per-capture WARC
 * built by the real `buildWarc` (HTML page of ~200 KB, a ~150 KB incompressible screenshot, every
 * fourth version a revisit).
 *
 *   npx tsx bench/export.bench.ts          # 100 versions
 *   npx tsx bench/export.bench.ts 300      # more
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWarc } from '../functions/core/capture/warc.js';
import { sha256 } from '../functions/core/domain/digest.js';
import { buildWacz, type WaczInput } from '../functions/core/proof/wacz.js';
import { validateWacz } from '../test/support/wacz-validator.js';
import { watchPeakRss } from './lib/peak-rss.js';

const versions = Number(process.argv[2] ?? 100);
const url = 'https://news.example.org/2026/11/long-story';
const dir = await mkdtemp(join(tmpdir(), 'redline-wacz-bench-'));
const paragraph = (i: number, v: number) =>
  `<p>Paragraph ${i} of the story, as of version ${v}. ${'Words of reporting. '.repeat(30)}</p>\n`;

try {
  const warcStart = performance.now();
  const pages: WaczInput['pages'] = [];
  const warcs: WaczInput['warcs'] = [];
  let previous: { digest: string; url: string; date: string } | undefined;
  let warcBytes = 0;
  for (let v = 0; v < versions; v++) {
    const date = new Date(Date.parse('2026-01-01T00:00:00Z') + v * 3600_000).toISOString();
    const changed = v % 4 !== 3;
    const body = Buffer.from(
      `<html><head><title>Long story</title></head><body>${Array.from({ length: 300 }, (_, i) => paragraph(i, changed ? v : v - 1)).join('')}</body></html>`,
    );
    const warc = await buildWarc({
      date,
      exchanges: [
        {
          url,
          requestHeaders: { 'user-agent': 'bench' },
          status: 200,
          headers: { 'content-type': 'text/html' },
          wireBody: body,
        },
      ],
      previousPayload: previous,
      metadata: { version: v },
      screenshot: randomBytes(150_000),
      software: 'redline-bench',
    });
    previous = { digest: sha256(body), url, date };
    const path = join(dir, `v${String(v).padStart(4, '0')}.warc.gz`);
    await writeFile(path, warc);
    warcBytes += warc.byteLength;
    warcs.push({ name: `v${String(v).padStart(4, '0')}.warc.gz`, open: () => createReadStream(path) });
    pages.push({ url, ts: date, title: `Long story v${v}` });
  }
  const warcMs = performance.now() - warcStart;

  const out = join(dir, 'export.wacz');
  const rss = watchPeakRss();
  const start = performance.now();
  const summary = await buildWacz(
    { title: 'Long story', created: '2026-11-26T12:00:00Z', software: 'redline-bench', warcs, pages },
    createWriteStream(out),
  );
  const buildMs = performance.now() - start;
  const buildPeak = rss.stop();
  const size = (await stat(out)).size;

  const validateStart = performance.now();
  const problems = await validateWacz(out);
  const validateMs = performance.now() - validateStart;

  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  console.log(
    `versions            ${versions} (${summary.records} WARC records, ${summary.indexLines} CDXJ lines)`,
  );
  console.log(`WARCs (buildWarc)   ${mb(warcBytes)} MB in ${warcMs.toFixed(0)} ms`);
  console.log(
    `buildWacz → file    ${buildMs.toFixed(0)} ms, ${mb(size)} MB (${((size / warcBytes - 1) * 100).toFixed(2)}% over the WARCs)`,
  );
  console.log(`RSS during build    ${mb(rss.before)} MB before, ${mb(buildPeak)} MB peak`);
  console.log(`validator           ${validateMs.toFixed(0)} ms, ${problems.length} problems`);
  if (problems.length > 0) {
    console.log(problems.slice(0, 5));
    process.exitCode = 1;
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
