import { describe, expect, it } from 'vitest';
import { articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { captureUrl, captureWatch } from '../../functions/core/capture/capture.js';
import { DEFAULT_POLITENESS, Politeness } from '../../functions/core/capture/politeness.js';
import { captureDueWatches } from '../../functions/core/capture/run-due.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { memoryCaptureDeps } from '../support/memory.js';
import { simplePdf } from '../support/simple-pdf.js';

const URL_A = 'https://news.example/2026/11/24/flood-barrier';

const setup = () => memoryCaptureDeps();

describe('captureWatch', () => {
  it('records a first version, ignores a noise-only change, and versions and notifies an edit', async () => {
    const { deps, catalog, advance } = setup();
    const { watch } = await addWatch(deps, { url: URL_A, cadenceSeconds: 900, mode: 'auto', tags: ['city'] });

    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    const first = await captureWatch(deps, watch);
    expect(first.capture).toMatchObject({ status: 'complete', verdict: 'first', version: 1 });
    expect(Object.keys(first.capture.artifacts).sort()).toEqual(
      [
        'article',
        'manifest',
        'pdf',
        'raw',
        'rendered',
        'screenshot',
        'text',
        'warc',
        'provenance',
        'payloads',
      ].sort(),
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

  it('writes every blob after the journal entry naming it and before the records that point at it', async () => {
    const { deps, writes, catalog } = setup();
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    await captureUrl(deps, URL_A);
    deps.fetcher.pages.set(URL_A, { body: articlePage(EDITED, 2) });
    await captureUrl(deps, URL_A);
    const written = new Set<string>();
    let journaled = new Set<string>();
    for (const event of writes) {
      if (event.kind === 'journal') journaled = new Set(event.digests);
      else if (event.kind === 'blob') {
        expect(journaled.has(event.digest)).toBe(true);
        written.add(event.digest);
      } else for (const digest of event.digests) expect(written.has(digest)).toBe(true);
    }
    expect(writes.filter((w) => w.kind === 'journal')).toHaveLength(2);
    expect(catalog.journal.size).toBe(0);
    expect(writes.filter((w) => w.kind === 'version')).toHaveLength(2);
  });

  it('records an unreachable URL as a failed capture with its reason and adds no watch', async () => {
    const { deps, catalog } = setup();
    const result = await captureUrl(deps, 'https://unreachable.example/story');
    expect(result.capture).toMatchObject({
      status: 'failed',
      reason: 'fetch: could not resolve unreachable.example',
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
    expect(blocked.capture).toMatchObject({ verdict: 'anomaly', anomaly: 'blocked', version: 1 });
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

  it('stores a PDF as fetched, without the browser, and versions a change of its text with pages', async () => {
    const { deps } = setup();
    const pdfUrl = 'https://think.example/report.pdf';
    const page1 = [
      'Summary. The programme cost 12 million euros in its first year.',
      'Method. We surveyed 400 households.',
    ];
    deps.fetcher.pages.set(pdfUrl, {
      contentType: 'application/pdf',
      body: simplePdf([page1, ['Findings follow.']]),
    });
    const first = await captureUrl(deps, pdfUrl);
    expect(first.capture).toMatchObject({ verdict: 'first', status: 'complete' });
    expect(first.capture.artifacts.raw?.contentType).toBe('application/pdf');
    expect(first.capture.artifacts.rendered).toBeUndefined();
    expect(deps.renderer.renders).toBe(0);
    // The same text in a new file (new producer metadata, new bytes) is not an edit.
    deps.fetcher.pages.set(pdfUrl, {
      contentType: 'application/pdf',
      body: simplePdf([page1, ['Findings follow.']], 'Report'),
    });
    expect((await captureUrl(deps, pdfUrl)).capture.verdict).toBe('unchanged');
    deps.fetcher.pages.set(pdfUrl, {
      contentType: 'application/pdf',
      body: simplePdf([page1, ['Findings follow, revised.']]),
    });
    const second = await captureUrl(deps, pdfUrl);
    expect(second.capture).toMatchObject({ verdict: 'edited', version: 2 });
    expect(second.version?.edits).toEqual([
      expect.objectContaining({ kind: 'paragraph_changed', page: 2, after: 'Findings follow, revised.' }),
    ]);
    deps.fetcher.pages.set(pdfUrl, {
      contentType: 'application/pdf',
      body: Buffer.from('%PDF-1.7 truncated garbage'),
    });
    expect((await captureUrl(deps, pdfUrl)).capture).toMatchObject({
      verdict: 'anomaly',
      anomaly: 'unreadable_pdf',
    });
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

describe('edit detection in the pipeline', () => {
  it('learns a block that changes on every load from a confirming re-capture, and never alerts on it', async () => {
    const { deps, catalog } = setup();
    let load = 0;
    // Each load shows a different "trending" line inside the article body.
    deps.fetcher.fetch = async (url: string) => {
      load++;
      const body = articlePage(
        {
          ...ORIGINAL,
          paragraphs: [
            ...ORIGINAL.paragraphs,
            `Trending now: story number ${load} of the day is about the weather in the valley`,
          ],
        },
        1,
      );
      return {
        http: { status: 200, finalUrl: url, contentType: 'text/html', headers: {} },
        body: Buffer.from(body),
      };
    };
    const first = await captureUrl(deps, URL_A);
    expect(first.capture.verdict).toBe('first');
    const second = await captureUrl(deps, URL_A);
    expect(second.capture.verdict).toBe('unchanged');
    expect(second.capture.steps.map((s) => s.name)).toContain('confirm');
    const watch = await catalog.getWatch(first.capture.watchId);
    expect(watch?.volatile).toEqual([
      'Trending now: story number # of the day is about the weather in the valley',
    ]);
    // Learned: the next load's new value is ignored without a re-capture, and a real edit still counts.
    expect((await captureUrl(deps, URL_A)).capture.verdict).toBe('unchanged');
    expect(deps.notifier.sent).toHaveLength(0);
  });

  it('confirms a real edit with a re-capture and marks it silent when dateModified did not change', async () => {
    const { deps } = setup();
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    await captureUrl(deps, URL_A);
    deps.fetcher.pages.set(URL_A, { body: articlePage(EDITED, 2) });
    const edit = await captureUrl(deps, URL_A);
    expect(edit.capture.verdict).toBe('edited');
    expect(edit.capture.steps.find((s) => s.name === 'confirm')?.status).toBe('ok');
    expect(edit.version).toMatchObject({ silent: true, alert: 'sent' });
    expect(edit.notification).toMatchObject({
      silent: true,
      significance: 'major',
      diffHtml: edit.version?.diff?.digest,
    });
    const page = Buffer.from(await deps.blobs.get(edit.version!.diff!.digest)).toString();
    expect(page).toContain('Content-Security-Policy');
    expect(page).toContain('<del>7</del><ins>5</ins>');
  });

  it('records a flip-flop as a revert and rate-limits alerts per watch', async () => {
    const { deps, catalog, advance } = setup();
    const a = articlePage(ORIGINAL, 1);
    const b = articlePage({ ...ORIGINAL, headline: 'Flood barrier approved' }, 1);
    deps.fetcher.pages.set(URL_A, { body: a });
    await captureUrl(deps, URL_A);
    const states = [b, a, b, a, b];
    const results = [];
    for (const body of states) {
      advance(10);
      deps.fetcher.pages.set(URL_A, { body });
      results.push(await captureUrl(deps, URL_A));
    }
    expect(results.map((r) => r.version?.number)).toEqual([2, 3, 4, 5, 6]);
    expect(results.map((r) => r.version?.revertOf)).toEqual([undefined, 1, 2, 1, 2]);
    expect(results.map((r) => r.version?.alert)).toEqual([
      'sent',
      'sent',
      'sent',
      'rate_limited',
      'rate_limited',
    ]);
    expect(deps.notifier.sent).toHaveLength(3);
    expect(deps.notifier.sent[1]).toMatchObject({ revertOf: 1 });
    // A new window allows alerts again.
    advance(6 * 60);
    deps.fetcher.pages.set(URL_A, { body: a });
    expect((await captureUrl(deps, URL_A)).version?.alert).toBe('sent');
    expect((await catalog.getWatch(results[0]!.capture.watchId))?.alertsInWindow).toBe(1);
  });

  it('never takes a paywall, a soft 404 or a truncated capture as an edit or a baseline', async () => {
    const { deps, catalog } = setup();
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    await captureUrl(deps, URL_A);
    const paywalled = articlePage(
      {
        ...ORIGINAL,
        paragraphs: [ORIGINAL.paragraphs[0]!, 'Subscribe to continue reading. Already a subscriber? Log in.'],
      },
      2,
    );
    const notFound =
      '<html><head><title>Page not found</title></head><body><h1>Page not found</h1><p>The page you are looking for does not exist.</p></body></html>';
    const truncated = articlePage(
      { ...ORIGINAL, paragraphs: [...ORIGINAL.paragraphs.slice(0, 3), ORIGINAL.paragraphs[3]!.slice(0, 40)] },
      3,
    );
    const verdicts = [];
    for (const body of [paywalled, notFound, truncated]) {
      deps.fetcher.pages.set(URL_A, { body });
      const result = await captureUrl(deps, URL_A);
      verdicts.push([result.capture.verdict, result.capture.anomaly]);
    }
    expect(verdicts).toEqual([
      ['anomaly', 'paywall'],
      ['anomaly', 'soft_404'],
      ['anomaly', 'truncated'],
    ]);
    expect(catalog.versions.size).toBe(1);
    expect(deps.notifier.sent).toHaveLength(0);
    // Each new anomaly is reported once, apart from edits.
    expect(deps.notifier.anomalies.map((a) => a.anomaly)).toEqual(['paywall', 'soft_404', 'truncated']);
    deps.fetcher.pages.set(URL_A, { body: truncated });
    await captureUrl(deps, URL_A);
    expect(deps.notifier.anomalies).toHaveLength(3);
  });

  it('calls a changed dateModified with the same words unchanged', async () => {
    const { deps } = setup();
    const dated = (modified: string) =>
      articlePage(ORIGINAL, 1).replace(
        '<meta property="article:published_time"',
        `<meta property="article:modified_time" content="${modified}"><meta property="article:published_time"`,
      );
    deps.fetcher.pages.set(URL_A, { body: dated('2026-11-24T19:00:00Z') });
    await captureUrl(deps, URL_A);
    deps.fetcher.pages.set(URL_A, { body: dated('2026-11-25T08:00:00Z') });
    expect((await captureUrl(deps, URL_A)).capture.verdict).toBe('unchanged');
    // Words and date both changed: an edit, not silent, with the dates alongside.
    deps.fetcher.pages.set(URL_A, { body: dated('2026-11-26T08:00:00Z').replace('7 to 2', '5 to 4') });
    const edit = await captureUrl(deps, URL_A);
    expect(edit.version).toMatchObject({ silent: false });
    expect(edit.version?.edits.map((e) => e.kind)).toEqual(['paragraph_changed', 'dates_changed']);
  });

  it('does not re-capture to confirm when the cadence is shorter than five minutes', async () => {
    const { deps } = setup();
    const { watch } = await addWatch(deps, { url: URL_A, cadenceSeconds: 120, mode: 'auto', tags: [] });
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    await captureWatch(deps, watch);
    deps.fetcher.pages.set(URL_A, { body: articlePage(EDITED, 2) });
    const edit = await captureWatch(deps, (await deps.watches.getWatch(watch.id))!);
    expect(edit.capture.verdict).toBe('edited');
    expect(edit.capture.steps.map((s) => s.name)).not.toContain('confirm');
  });
});

describe('capture fidelity', () => {
  it('revalidates with the stored ETag: a 304 is recorded as not modified, with no render and no new blobs', async () => {
    const { deps, catalog } = setup();
    deps.fetcher.pages.set(URL_A, { etag: '"v1"', body: articlePage(ORIGINAL, 1) });
    const first = await captureUrl(deps, URL_A);
    expect(first.capture.artifacts.warc?.contentType).toBe('application/warc');
    const blobsBefore = deps.blobs.blobs.size;
    const renders = deps.renderer.renders;
    const second = await captureUrl(deps, URL_A);
    expect(deps.fetcher.requests.at(-1)?.conditional).toEqual({ etag: '"v1"' });
    expect(second.capture).toMatchObject({
      status: 'complete',
      verdict: 'unchanged',
      notModified: true,
      version: 1,
    });
    expect(second.capture.artifacts).toEqual({});
    expect(deps.blobs.blobs.size).toBe(blobsBefore);
    expect(deps.renderer.renders).toBe(renders);
    expect(catalog.captures.size).toBe(2);
  });

  it('never sends validators in browser mode, where the HTML shell says nothing about the article', async () => {
    const { deps } = setup();
    const { watch } = await addWatch(deps, { url: URL_A, cadenceSeconds: 3600, mode: 'browser', tags: [] });
    deps.fetcher.pages.set(URL_A, { etag: '"v1"', body: articlePage(ORIGINAL, 1) });
    await captureWatch(deps, watch);
    await captureWatch(deps, (await deps.watches.getWatch(watch.id))!);
    expect(deps.fetcher.requests.filter((r) => r.url === URL_A).every((r) => !r.conditional)).toBe(true);
  });

  it('refuses what robots.txt disallows, unless the watch overrides it with a reason', async () => {
    const { deps } = setup();
    const politeness = new Politeness(deps.fetcher, deps.clock, { ...DEFAULT_POLITENESS, minDelayMs: 0 });
    const withRobots = { ...deps, politeness };
    deps.fetcher.pages.set('https://news.example/robots.txt', {
      contentType: 'text/plain',
      body: 'User-agent: *\nDisallow: /2026/\n',
    });
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    const refused = await captureUrl(withRobots, URL_A);
    expect(refused.capture).toMatchObject({ status: 'failed', reason: 'disallowed by robots.txt' });
    expect(deps.fetcher.requests.map((r) => r.url)).toEqual(['https://news.example/robots.txt']);
    const { watch } = await addWatch(deps, {
      url: URL_A,
      cadenceSeconds: 3600,
      mode: 'auto',
      tags: [],
      ignoreRobots: 'publisher gave written permission (ticket 42)',
    });
    expect((await captureWatch(withRobots, watch)).capture.status).toBe('complete');
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
