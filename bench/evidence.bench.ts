/**
 * `buildEvidence` (behind `redline evidence` and GET /api/watches/{watch}/evidence) over a watch with many
 * versions made by the real capture pipeline: every version has a manifest stamped by a real RFC 3161
 * authority (`openssl ts -reply` on 127.0.0.1, test/support/test-tsa.ts), blobs in a real FsBlobStore
 * (every read verified), records in the in-memory catalog. Prints the bundle's time, size and peak RSS,
 * then how long the offline checks take (`sha256sum -c`, `openssl ts -verify` of every token).
 *
 *   npx tsx bench/evidence.bench.ts          # 100 versions (the default limit of one bundle)
 *   npx tsx bench/evidence.bench.ts 30
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { FsBlobStore } from '../functions/adapters/fs/fs-blob-store.js';
import { HttpTimestampAuthority } from '../functions/adapters/tsa/http-tsa.js';
import { captureWatch } from '../functions/core/capture/capture.js';
import { buildEvidence } from '../functions/core/proof/evidence.js';
import { parsePemCertificates } from '../functions/core/proof/timestamp.js';
import { addWatch } from '../functions/core/watches/watches.js';
import { memoryCaptureDeps } from '../test/support/memory.js';
import { startTestTsa } from '../test/support/test-tsa.js';
import { unzip } from '../test/support/zip.js';
import { watchPeakRss } from './lib/peak-rss.js';

const run = promisify(execFile);
const versions = Number(process.argv[2] ?? 100);
const url = 'https://news.example.org/2026/11/long-story';
const dir = await mkdtemp(join(tmpdir(), 'redline-evidence-bench-'));
const tsa = await startTestTsa();
const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

/** A long article (40 paragraphs, ~60 KB) whose paragraph `v % 40` says something new in version `v`. */
const page = (v: number) => {
  const paragraphs = Array.from(
    { length: 40 },
    (_, i) =>
      `<p>Paragraph ${i} of the story${i === v % 40 ? `, rewritten for version ${v}` : ''}. ${'Words of reporting on the council and the river. '.repeat(30)}</p>`,
  );
  return `<html><head><title>Long story, version ${v}</title></head><body><article><h1>Long story ${v}</h1>${paragraphs.join('\n')}</article></body></html>`;
};

try {
  const env = memoryCaptureDeps(new Date());
  const blobs = new FsBlobStore(join(dir, 'blobs'));
  const authority = new HttpTimestampAuthority({ url: tsa.url, roots: parsePemCertificates(tsa.rootPem) });
  const deps = {
    ...env.deps,
    blobs,
    timestamps: [authority],
    options: { detect: { confirmEdits: false } },
  };
  const { watch } = await addWatch(deps, { url, cadenceSeconds: 900, mode: 'auto', tags: [] });
  const setupStart = performance.now();
  for (let v = 1; v <= versions; v++) {
    deps.fetcher.pages.set(url, { body: page(v) });
    env.advance(15);
    const result = await captureWatch(deps, (await env.catalog.getWatch(watch.id))!);
    if (result.capture.version !== v) throw new Error(`capture ${v} made version ${result.capture.version}`);
  }
  const setupMs = performance.now() - setupStart;

  const rss = watchPeakRss();
  const out = join(dir, 'evidence.zip');
  const start = performance.now();
  const summary = await buildEvidence(
    deps,
    url,
    { from: 1, to: versions, tsaCaPem: tsa.rootPem },
    createWriteStream(out),
  );
  const buildMs = performance.now() - start;
  const peakRss = rss.stop();
  const size = (await stat(out)).size;
  const wacz = summary.files.find((f) => f.path === 'archive.wacz')?.size ?? 0;
  const pdf = summary.files.find((f) => f.path === 'report.pdf')?.size ?? 0;

  // Offline, as the recipient would: unzip, sha256sum -c, openssl ts -verify every token.
  const unzipped = join(dir, 'unzipped');
  for (const [name, content] of await unzip(await readFile(out))) {
    await mkdir(dirname(join(unzipped, name)), { recursive: true });
    await writeFile(join(unzipped, name), content);
  }
  const sumsStart = performance.now();
  await run('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: unzipped });
  const sumsMs = performance.now() - sumsStart;
  const tokens = summary.files.filter((f) => f.path.startsWith('tokens/')).map((f) => f.path);
  const verifyStart = performance.now();
  for (const token of tokens) {
    const manifest = `chain/${token.slice('tokens/'.length, 'tokens/'.length + 6)}.json`;
    const { stdout } = await run(
      'openssl',
      ['ts', '-verify', '-data', manifest, '-in', token, '-token_in', '-CAfile', 'tsa-ca.pem'],
      { cwd: unzipped },
    );
    if (!stdout.includes('Verification: OK')) throw new Error(`${token}: ${stdout}`);
  }
  const verifyMs = performance.now() - verifyStart;

  console.log(
    `versions             ${versions} captured by the pipeline, each manifest stamped (${(setupMs / versions).toFixed(0)} ms/capture)`,
  );
  console.log(
    `buildEvidence → file ${buildMs.toFixed(0)} ms, ${mb(size)} MB zip (${summary.files.length} files: WACZ ${mb(wacz)} MB, report.pdf ${(pdf / 1024).toFixed(0)} KB, ${summary.manifests} manifests, ${summary.tokens} tokens)`,
  );
  console.log(`RSS during build     ${mb(rss.before)} MB before, ${mb(peakRss)} MB peak`);
  console.log(`sha256sum -c         ${sumsMs.toFixed(0)} ms for ${summary.files.length - 1} files`);
  console.log(
    `openssl ts -verify   ${verifyMs.toFixed(0)} ms for ${tokens.length} tokens (${(verifyMs / Math.max(1, tokens.length)).toFixed(0)} ms each)`,
  );
  if (summary.notes.length > 0 || summary.bytes !== size) {
    console.log(summary.notes.slice(0, 5));
    process.exitCode = 1;
  }
} finally {
  await tsa.close();
  await rm(dir, { recursive: true, force: true });
}
