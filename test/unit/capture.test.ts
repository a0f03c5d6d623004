import { describe, expect, it } from 'vitest';
import { articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { type CaptureDeps, captureUrl, captureWatch } from '../../functions/core/capture.js';
import { silentLogger } from '../../functions/core/ports.js';
import { captureDueWatches } from '../../functions/core/run-due.js';
import { addWatch } from '../../functions/core/watches.js';
import {
  EchoRenderer,
  MemoryBlobStore,
  MemoryCatalog,
  MemoryNotifier,
  StaticFetcher,
  type WriteEvent,
} from '../support/memory.js';

const URL_A = 'https://news.example/2026/11/24/flood-barrier';

function setup() {
  const writes: WriteEvent[] = [];
  let now = new Date('2026-11-26T10:00:00Z');
  const catalog = new MemoryCatalog(writes);
  const deps = {
    blobs: new MemoryBlobStore(writes),
    watches: catalog,
    captures: catalog,
    versions: catalog,
    notifier: new MemoryNotifier(),
    fetcher: new StaticFetcher(),
    renderer: new EchoRenderer(),
    clock: { now: () => now },
    logger: silentLogger,
  } satisfies CaptureDeps;
  const advance = (minutes: number) => {
    now = new Date(now.getTime() + minutes * 60_000);
  };
  return { deps, catalog, writes, advance };
}

describe('captureWatch', () => {
  it('records a first version, ignores a noise-only change, and versions and notifies an edit', async () => {
    const { deps, catalog, advance } = setup();
    const { watch } = await addWatch(deps, { url: URL_A, cadenceSeconds: 900, mode: 'auto', tags: ['city'] });

    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    const first = await captureWatch(deps, watch);
    expect(first.capture).toMatchObject({ status: 'complete', verdict: 'first', version: 1 });
    expect(Object.keys(first.capture.artifacts).sort()).toEqual(
      ['article', 'pdf', 'raw', 'rendered', 'screenshot', 'text'].sort(),
    );

    advance(15);
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 2) });
    const noise = await captureWatch(deps, (await catalog.getWatch(watch.id))!);
    expect(noise.capture).toMatchObject({ verdict: 'unchanged', version: 1 });
    expect(noise.version).toBeUndefined();

    advance(15);
    deps.fetcher.pages.set(URL_A, { body: articlePage(EDITED, 3) });
    const edit = await captureWatch(deps, (await catalog.getWatch(watch.id))!);
    expect(edit.capture).toMatchObject({ verdict: 'edited', version: 2 });
    expect(deps.notifier.sent).toHaveLength(1);
    expect(deps.notifier.sent[0]).toMatchObject({
      type: 'redline.edit',
      url: URL_A,
      title: EDITED.headline,
      oldVersion: 1,
      newVersion: 2,
      oldTextHash: first.capture.textHash,
      newTextHash: edit.capture.textHash,
      tags: ['city'],
    });
    expect(deps.notifier.sent[0]!.diff).toContain('[-7-]{+5+}');
    expect((await catalog.listVersions(watch.id)).map((v) => v.number)).toEqual([1, 2]);
    expect(await catalog.getWatch(watch.id)).toMatchObject({ latestVersion: 2, lastStatus: 'complete' });
  });

  it('writes every blob before the capture or version record that points at it', async () => {
    const { deps, writes } = setup();
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    await captureUrl(deps, URL_A);
    deps.fetcher.pages.set(URL_A, { body: articlePage(EDITED, 2) });
    await captureUrl(deps, URL_A);
    const written = new Set<string>();
    for (const event of writes) {
      if (event.kind === 'blob') written.add(event.digest);
      else for (const digest of event.digests) expect(written.has(digest)).toBe(true);
    }
    expect(writes.filter((w) => w.kind === 'version')).toHaveLength(2);
  });

  it('records an unreachable URL as a failed capture with its reason and adds no watch', async () => {
    const { deps, catalog } = setup();
    const result = await captureUrl(deps, 'https://unreachable.example/story');
    expect(result.capture).toMatchObject({
      status: 'failed',
      reason: 'could not resolve unreachable.example',
    });
    expect(catalog.captures.size).toBe(1);
    expect(catalog.watches.size).toBe(0);
    expect(catalog.versions.size).toBe(0);
  });

  it('records a block page as an anomaly that never becomes the baseline', async () => {
    const { deps, catalog } = setup();
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    const first = await captureUrl(deps, URL_A);
    deps.fetcher.pages.set(URL_A, {
      status: 403,
      body: '<html><head><title>Access denied</title></head><body><h1>Access denied</h1></body></html>',
    });
    const blocked = await captureUrl(deps, URL_A);
    expect(blocked.capture).toMatchObject({ verdict: 'anomaly', anomaly: 'http_status_403', version: 1 });
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 3) });
    const back = await captureUrl(deps, URL_A);
    expect(back.capture).toMatchObject({
      verdict: 'unchanged',
      version: 1,
      textHash: first.capture.textHash,
    });
    expect(deps.notifier.sent).toHaveLength(0);
    expect(catalog.versions.size).toBe(1);
  });

  it('stores a PDF as fetched, without the browser, and versions it when its bytes change', async () => {
    const { deps } = setup();
    const pdfUrl = 'https://think.example/report.pdf';
    deps.fetcher.pages.set(pdfUrl, {
      contentType: 'application/pdf',
      body: Buffer.from('%PDF-1.7\nreport v1'),
    });
    const first = await captureUrl(deps, pdfUrl);
    expect(first.capture.artifacts.raw?.contentType).toBe('application/pdf');
    expect(first.capture.artifacts.rendered).toBeUndefined();
    expect(deps.renderer.renders).toBe(0);
    deps.fetcher.pages.set(pdfUrl, {
      contentType: 'application/pdf',
      body: Buffer.from('%PDF-1.7\nreport v2'),
    });
    const second = await captureUrl(deps, pdfUrl);
    expect(second.capture).toMatchObject({ verdict: 'edited', version: 2 });
    expect(second.version?.edits).toEqual([{ kind: 'document_changed', significance: 'major' }]);
  });

  it('never launches the browser in http mode', async () => {
    const { deps } = setup();
    const { watch } = await addWatch(deps, { url: URL_A, cadenceSeconds: 3600, mode: 'http', tags: [] });
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    const result = await captureWatch(deps, watch);
    expect(deps.renderer.renders).toBe(0);
    expect(result.capture).toMatchObject({ status: 'complete', verdict: 'first' });
    expect(result.capture.artifacts.pdf).toBeUndefined();
  });
});

describe('captureDueWatches', () => {
  it('captures only due watches and schedules each by its cadence', async () => {
    const { deps, catalog, advance } = setup();
    const other = 'https://news.example/other';
    await addWatch(deps, { url: URL_A, cadenceSeconds: 900, mode: 'http', tags: [] });
    await addWatch(deps, { url: other, cadenceSeconds: 3600, mode: 'http', tags: [] });
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    deps.fetcher.pages.set(other, { body: articlePage(EDITED, 1) });

    expect((await captureDueWatches(deps)).due).toBe(2);
    advance(16);
    const second = await captureDueWatches(deps);
    expect(second.due).toBe(1);
    expect(second.results[0]!.capture.url).toBe(URL_A);
    expect(catalog.captures.size).toBe(3);
  });
});
