import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArticleState, articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { ChromiumRenderer } from '../../functions/adapters/chromium/chromium-renderer.js';
import { UndiciFetcher } from '../../functions/adapters/net/undici-fetcher.js';
import { type CaptureDeps, type CaptureResult, captureWatch } from '../../functions/core/capture/capture.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import type { Watch } from '../../functions/core/domain/model.js';
import { silentLogger } from '../../functions/core/domain/ports.js';
import { exportWacz } from '../../functions/core/proof/export.js';
import { parsePayloadIndex } from '../../functions/core/proof/payloads.js';
import { verifyArchive } from '../../functions/core/proof/verify.js';
import { buildWacz } from '../../functions/core/proof/wacz.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';
import { type MemoryBlobStore, MemoryCatalog, memoryStores } from '../support/memory.js';
import { memorySink } from '../support/sink.js';
import { validateWacz } from '../support/wacz-validator.js';
import { readWarc } from '../support/warc.js';
import { unzip } from '../support/zip.js';

/**
 * Two captures (real fetcher, real browser) of an article whose text changes while its stylesheet, image
 * and font stay the same: the second capture's WARC must hold those as `revisit` records pointing at the
 * first's, and a WACZ of the second version alone must still carry (and resolve) the originals.
 */
const CSS =
  '@font-face{font-family:Fixture;src:url(/font.woff2) format("woff2")} body{font-family:Fixture,serif}';
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(200_000)]);
const FONT = Buffer.concat([Buffer.from('wOF2'), randomBytes(3_000)]);
const SHARED: Record<string, { type: string; body: Buffer }> = {
  '/style.css': { type: 'text/css', body: Buffer.from(CSS) },
  '/hero.png': { type: 'image/png', body: PNG },
  '/font.woff2': { type: 'font/woff2', body: FONT },
};
const pageOf = (state: ArticleState, round: number) =>
  articlePage(state, round)
    .replace('</head>', '<link rel="stylesheet" href="/style.css"></head>')
    .replace('</body>', '<img src="/hero.png" width="40" height="40" alt=""></body>');

// Made once each: the demo page carries a per-render session id and time.
const V1 = pageOf(ORIGINAL, 1);
const V2 = pageOf(EDITED, 2);
let current = V1;
let now = new Date('2026-11-26T10:00:00Z');
let server: FixtureServer;
let deps: CaptureDeps & { blobs: MemoryBlobStore };
let renderer: ChromiumRenderer;
let watch: Watch;

async function capture(html: string): Promise<CaptureResult> {
  current = html;
  now = new Date(now.getTime() + 30 * 60_000);
  const fresh = (await deps.watches.getWatch(watch.id)) ?? watch;
  return captureWatch(deps, fresh);
}

const warcOf = (result: CaptureResult) => deps.blobs.blobs.get(result.capture.artifacts.warc!.digest)!;

beforeAll(async () => {
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/story': (_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(current),
  };
  for (const [path, { type, body }] of Object.entries(SHARED))
    routes[path] = (_req, res) =>
      res.writeHead(200, { 'content-type': type, 'content-length': body.byteLength }).end(body);
  server = await startFixtureServer(routes);
  const policy = { allowPrivateNetwork: true };
  renderer = new ChromiumRenderer({ policy, userAgent: 'Redline-test' });
  deps = {
    ...memoryStores(new MemoryCatalog()),
    fetcher: new UndiciFetcher({ policy, userAgent: 'Redline-test' }),
    renderer,
    clock: { now: () => now },
    logger: silentLogger,
    // One render per capture: the confirming re-capture would only repeat the same requests.
    options: { detect: { confirmEdits: false } },
  };
  ({ watch } = await addWatch(deps, {
    url: `${server.url}/story`,
    cadenceSeconds: 3600,
    mode: 'auto',
    tags: [],
  }));
}, 60_000);

afterAll(async () => {
  await renderer?.close();
  await (deps?.fetcher as UndiciFetcher | undefined)?.close();
  await server?.close();
});

describe('revisit records across captures', () => {
  let first: CaptureResult;
  let second: CaptureResult;
  let third: CaptureResult;

  beforeAll(async () => {
    first = await capture(V1);
    second = await capture(V2);
    third = await capture(V2);
    expect(first.capture.version).toBe(1);
    expect(second.version?.number, JSON.stringify(second.capture)).toBe(2);
    expect(third.capture.verdict).toBe('unchanged');
  }, 180_000);

  it('writes the unchanged sub-resources of the second capture as revisits of the first, headers only', async () => {
    const firstDate = first.capture.startedAt;
    const records = await readWarc(warcOf(second));
    for (const [path, { body }] of Object.entries(SHARED)) {
      const url = `${server.url}${path}`;
      const revisit = records.find((r) => r.url === url && r.type === 'revisit');
      expect(revisit, path).toBeDefined();
      expect(
        records.some((r) => r.url === url && r.type === 'response'),
        path,
      ).toBe(false);
      expect(revisit!.warc.get('WARC-Profile')).toBe(
        'http://netpreserve.org/warc/1.1/revisit/identical-payload-digest',
      );
      expect(revisit!.warc.get('WARC-Refers-To-Target-URI')).toBe(url);
      expect(revisit!.warc.get('WARC-Refers-To-Date')).toBe(firstDate);
      expect(revisit!.warc.get('WARC-Payload-Digest')).toBe(sha256(body));
      expect(revisit!.payload.byteLength, path).toBe(0);
    }
    // The article changed: its response is whole.
    const main = records.find((r) => r.url === `${server.url}/story` && r.type === 'response');
    expect(main?.payload.toString()).toBe(V2);
    // The first capture holds them in full.
    const originals = await readWarc(warcOf(first));
    for (const [path, { body }] of Object.entries(SHARED)) {
      const original = originals.find((r) => r.url === `${server.url}${path}` && r.type === 'response');
      expect(original?.payload.equals(body), path).toBe(true);
    }
  });

  it('is smaller by the payloads it no longer repeats', () => {
    const saved = warcOf(first).byteLength - warcOf(second).byteLength;
    // The 200 KB image does not compress: the second WARC is at least that much smaller.
    expect(saved).toBeGreaterThan(190_000);
  });

  it('names where each original is in the payload index, and carries them forward', async () => {
    const index = parsePayloadIndex(deps.blobs.blobs.get(second.capture.artifacts.payloads!.digest)!);
    const firstWarc = first.capture.artifacts.warc!.digest;
    expect(index.warc).toBe(second.capture.artifacts.warc!.digest);
    expect(index.revisits.map((r) => r.url).sort()).toEqual(
      Object.keys(SHARED)
        .map((p) => `${server.url}${p}`)
        .sort(),
    );
    for (const revisit of index.revisits) expect(revisit.warc).toBe(firstWarc);
    // The version's manifest names the index like every artifact.
    expect(second.version!.artifacts.payloads?.digest).toBe(second.capture.artifacts.payloads!.digest);
    // A third, unchanged capture refers to the first for the sub-resources and to the second for the article.
    const records = await readWarc(warcOf(third));
    const css = records.find((r) => r.url === `${server.url}/style.css` && r.type !== 'request');
    expect(css?.type).toBe('revisit');
    expect(css?.warc.get('WARC-Refers-To-Date')).toBe(first.capture.startedAt);
    const story = records.find((r) => r.url === `${server.url}/story` && r.type !== 'request');
    expect(story?.type).toBe('revisit');
    expect(story?.warc.get('WARC-Refers-To-Date')).toBe(second.capture.startedAt);
  });

  it('exports the second version alone with the WARC holding the originals, and every revisit resolves', async () => {
    const { sink, bytes } = memorySink();
    const summary = await exportWacz(deps, watch.url, { from: 2, to: 2 }, sink);
    expect(summary.archived).toEqual([2]);
    expect(summary.problems).toEqual([]);
    const wacz = bytes();
    expect(await validateWacz(wacz)).toEqual([]);
    const files = await unzip(wacz);
    const archived = [...files.keys()].filter((path) => path.startsWith('archive/')).sort();
    expect(archived).toEqual(['archive/originals.warc.gz', 'archive/version-000002.warc.gz']);
    // The originals, copied record for record from the first capture's WARC: nothing else of it.
    const copied = await readWarc(files.get('archive/originals.warc.gz')!);
    expect(copied.map((r) => `${r.type} ${r.url}`).sort()).toEqual(
      Object.keys(SHARED)
        .map((path) => `response ${server.url}${path}`)
        .sort(),
    );
    for (const record of copied)
      expect(record.payload.equals(SHARED[new URL(record.url).pathname]!.body)).toBe(true);
    const index = files.get('indexes/index.cdx')!.toString();
    const stamp = first.capture.startedAt.replace(/\D/g, '').slice(0, 14);
    for (const path of Object.keys(SHARED))
      expect(index).toMatch(new RegExp(`${stamp} \\{"url":"${server.url}${path}".*"mime":"(?!warc/revisit)`));
  });

  it('is refused by the validator when the originals are left out of the package', async () => {
    const v2 = warcOf(second);
    const { sink, bytes } = memorySink();
    await buildWacz(
      {
        title: 'v2 without its originals',
        created: now.toISOString(),
        software: 'test',
        warcs: [
          {
            name: 'v2.warc.gz',
            open: async function* () {
              yield v2;
            },
          },
        ],
        pages: [{ url: `${server.url}/story`, ts: second.capture.startedAt }],
      },
      sink,
    );
    const problems = await validateWacz(bytes());
    expect(problems.filter((p) => p.code === 'revisit-unresolved')).toHaveLength(Object.keys(SHARED).length);
  });

  it('leaves redline verify with nothing to report', async () => {
    const report = await verifyArchive(deps, { url: watch.url });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});

describe('capture options for the WARC', () => {
  it('leaves the sub-resources out (warc.subresources off) and writes every payload in full (warc.revisits off)', async () => {
    const { watch: other } = await addWatch(deps, {
      url: `${server.url}/story?lean`,
      cadenceSeconds: 3600,
      mode: 'auto',
      tags: [],
    });
    now = new Date(now.getTime() + 30 * 60_000);
    current = V1;
    const lean = { ...deps, options: { ...deps.options, warc: { subresources: false, revisits: false } } };
    const result = await captureWatch(lean, other);
    expect(result.capture.status).toBe('complete');
    expect(result.capture.artifacts.payloads).toBeUndefined();
    const records = await readWarc(warcOf(result));
    expect(records.map((r) => r.type)).toEqual([
      'warcinfo',
      'request',
      'response',
      'metadata',
      'resource',
      'resource',
    ]);
    const provenance = JSON.parse(records[4]!.payload.toString());
    expect(provenance.subresources).toEqual({ recorded: 0, truncated: 0, dropped: 0 });
    expect(provenance.options.warc).toEqual({ subresources: false, revisits: false, maxKnownPayloads: 1000 });
  });
});
