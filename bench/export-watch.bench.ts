/**
 * `exportWacz` (the use case behind `redline export`) for one watch with many versions, the blobs in a
 * real FsBlobStore (every read verified) and the records in the in-memory catalog: time, size, peak RSS,
 * then the independent validator over the file. Each version has a capture WARC made by the real
 * `buildWarc` (an HTML page of ~200 KB, a ~150 KB incompressible screenshot) and a text artifact of
 * 30 paragraphs (~18 KB, a long article), which pages.jsonl carries in full (up to MAX_PAGE_TEXT_CHARS).
 *
 *   npx tsx bench/export-watch.bench.ts            # 100 versions, 30 paragraphs of text each
 *   npx tsx bench/export-watch.bench.ts 300 300    # 300 versions, 300 paragraphs (~180 KB, clipped)
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '../functions/adapters/fs/fs-blob-store.js';
import { buildWarc } from '../functions/core/capture/warc.js';
import { sha256 } from '../functions/core/domain/digest.js';
import { watchIdFor } from '../functions/core/domain/url.js';
import { exportWacz } from '../functions/core/proof/export.js';
import { MemoryCatalog } from '../test/support/memory.js';
import { validateWacz } from '../test/support/wacz-validator.js';
import { watchPeakRss } from './lib/peak-rss.js';

const versions = Number(process.argv[2] ?? 100);
const textParagraphs = Number(process.argv[3] ?? 30);
const url = 'https://news.example.org/2026/11/long-story';
const watchId = watchIdFor(url);
const dir = await mkdtemp(join(tmpdir(), 'redline-export-bench-'));
const paragraph = (i: number, v: number) =>
  `Paragraph ${i} of the story, as of version ${v}. ${'Words of reporting. '.repeat(30)}`;

try {
  const blobs = new FsBlobStore(join(dir, 'blobs'));
  const catalog = new MemoryCatalog();
  const setupStart = performance.now();
  let warcBytes = 0;
  let textBytes = 0;
  for (let v = 1; v <= versions; v++) {
    const date = new Date(Date.parse('2026-01-01T00:00:00Z') + v * 3600_000).toISOString();
    const paragraphs = Array.from({ length: 300 }, (_, i) => paragraph(i, v));
    const body = Buffer.from(
      `<html><head><title>Long story</title></head><body>${paragraphs.map((p) => `<p>${p}</p>\n`).join('')}</body></html>`,
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
      metadata: { version: v },
      screenshot: randomBytes(150_000),
      software: 'redline-bench',
    });
    warcBytes += warc.byteLength;
    const text = Buffer.from(paragraphs.slice(0, textParagraphs).join('\n\n'));
    textBytes += text.byteLength;
    await catalog.putVersion({
      watchId,
      number: v,
      captureId: `c${v}`,
      url,
      capturedAt: date,
      title: `Long story v${v}`,
      textHash: sha256(text),
      artifacts: {
        warc: await blobs.put(warc, 'application/warc'),
        text: await blobs.put(text, 'text/plain; charset=utf-8'),
        raw: await blobs.put(body, 'text/html'),
      },
      edits: [],
    });
  }
  const setupMs = performance.now() - setupStart;

  const rss = watchPeakRss();
  const out = join(dir, 'export.wacz');
  const start = performance.now();
  const summary = await exportWacz(
    { watches: catalog, versions: catalog, blobs, captures: catalog, clock: { now: () => new Date() } },
    url,
    {},
    createWriteStream(out),
  );
  const exportMs = performance.now() - start;
  const peakRss = rss.stop();
  const size = (await stat(out)).size;

  const validateStart = performance.now();
  const problems = await validateWacz(out);
  const validateMs = performance.now() - validateStart;

  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  console.log(
    `versions            ${versions} (${summary.warcRecords} WARC records, ${summary.archived.length} pages)`,
  );
  console.log(
    `setup               ${mb(warcBytes)} MB of WARCs, ${mb(textBytes)} MB of text, in ${setupMs.toFixed(0)} ms`,
  );
  console.log(
    `exportWacz → file   ${exportMs.toFixed(0)} ms (${(exportMs / versions).toFixed(1)} ms/version, ${(size / 1024 / 1024 / (exportMs / 1000)).toFixed(1)} MB/s), ${mb(size)} MB (${((size / warcBytes - 1) * 100).toFixed(2)}% over the WARCs)`,
  );
  console.log(`RSS during export   ${mb(rss.before)} MB before, ${mb(peakRss)} MB peak`);
  console.log(`validator           ${validateMs.toFixed(0)} ms, ${problems.length} problems`);
  if (problems.length > 0 || summary.problems.length > 0 || summary.bytes !== size) {
    console.log(problems.slice(0, 5), summary.problems.slice(0, 5));
    process.exitCode = 1;
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
