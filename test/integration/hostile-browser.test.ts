import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChromiumRenderer,
  type RendererOptions,
} from '../../functions/adapters/chromium/chromium-renderer.js';
import { browserProcessTree, residentBytes } from '../../functions/adapters/chromium/processes.js';
import { DeadlineError, RenderAbortedError } from '../../functions/core/domain/errors.js';
import type { RenderedPage } from '../../functions/core/domain/ports.js';
import { type FixtureServer, startFixtureServer, waitFor } from '../support/fixture-server.js';

/**
 * Hostile pages in the real browser (@sparticuz/chromium through ChromiumRenderer): each render must end
 * within its budgets with the article as loaded, and a caller's signal must stop a render at once, leaving
 * no process or directory behind. Each case notes its end time and the browser's peak memory (RSS of the
 * browser's process tree, sampled from /proc), printed as a table at the end.
 */
const TEXT = 'The council approved the budget on Tuesday.';
const article = (extra = '', head = '') =>
  `<!doctype html><html><head><title>Story</title>${head}</head><body><h1>Story</h1><p>${TEXT}</p>${extra}</body></html>`;
/**
 * Runs `code` when the renderer scrolls the page (it does, after load, when the page has lazy content):
 * a moment certainly inside the capture, after load, before the HTML is taken.
 */
const onScroll = (code: string) =>
  `<div data-src="/lazy.png" style="height: 3000px"></div><script>addEventListener('scroll', () => { ${code} }, { once: true });</script>`;

let server: FixtureServer;
let renderer: ChromiumRenderer;
const hanging: ServerResponse[] = [];
const measured: { page: string; model: string; ms: number; peakMb: number; outcome: string }[] = [];

const budgets: Partial<RendererOptions> = {
  navigateTimeoutMs: 4_000,
  settleTimeoutMs: 1_500,
  scrollTimeoutMs: 2_000,
  maxScreenshotHeight: 4_000,
};

// The other document's text is built at run time, so the article's own source never holds it.
const navigations: Record<string, string> = {
  blob: `location.href = URL.createObjectURL(new Blob(['<h1>ELSE' + 'WHERE</h1>'], { type: 'text/html' }));`,
  'about-blank': `location.href = 'about:blank';`,
  'about-srcdoc': `location.href = 'about:srcdoc';`,
  data: `location.href = 'data:text/html,<h1>ELSE' + 'WHERE</h1>';`,
  javascript: `location.href = 'javascript:"<h1>ELSE' + 'WHERE</h1>"';`,
  http: `location.href = '/elsewhere';`,
};

/** 100,000 inline elements: ~1,000 lines of text, a page far taller than the screenshot cap. */
const bigDom = () => {
  const parts: string[] = [];
  for (let i = 0; i < 100_000; i++) parts.push(`<span>w${i % 10}</span> `);
  return article(`<div>${parts.join('')}</div>`);
};

beforeAll(async () => {
  const routes: Parameters<typeof startFixtureServer>[0] = {
    '/story': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(article()),
    '/elsewhere': (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>ELSEWHERE</h1>'),
    '/loop-at-load': (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(article('<script>while (true) {}</script>')),
    '/loop-after-load': (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(article(onScroll('while (true) {}'))),
    '/hang': (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(article('<img src="/hang.png">')),
    '/hang.png': (_req, res) => void hanging.push(res),
    '/big-dom': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(bigDom()),
    '/popups': (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(
        article(
          `<a id="out" href="/elsewhere" target="_blank">out</a>
          <script>
            const storm = () => {
              for (let i = 0; i < 200; i++) window.open('/elsewhere?' + i);
              for (let i = 0; i < 50; i++) document.getElementById('out').click();
            };
            storm();
            addEventListener('load', () => { let n = 0; const t = setInterval(() => { storm(); if (++n > 5) clearInterval(t); }, 100); });
          </script>`,
        ),
      ),
  };
  for (const [kind, code] of Object.entries(navigations)) {
    routes[`/to-${kind}`] = (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(article(onScroll(code)));
  }
  routes['/at-load-blob'] = (_req, res) =>
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(article(`<script>addEventListener('load', () => { ${navigations.blob} });</script>`));
  server = await startFixtureServer(routes);
  renderer = new ChromiumRenderer({
    policy: { allowPrivateNetwork: true },
    userAgent: 'Redline-test',
    ...budgets,
  });
  // Launch the shared browser once, outside the measured renders.
  await renderer.render(`${server.url}/story`);
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  await renderer.close();
  await server.close();
  console.log(
    [
      '| page | process model | ended after | browser peak RSS | outcome |',
      '|---|---|---|---|---|',
      ...measured.map((m) => `| ${m.page} | ${m.model} | ${m.ms} ms | ${m.peakMb} MB | ${m.outcome} |`),
    ].join('\n'),
  );
});

/** Samples the RSS of every browser process this renderer runs, every 50 ms, while `work` runs. */
async function measure<T>(
  subject: ChromiumRenderer,
  work: () => Promise<T>,
): Promise<{ value?: T; error?: unknown; ms: number; peakMb: number }> {
  let peak = 0;
  const sample = () => {
    const pids = subject.browserDirs.flatMap((dir) => browserProcessTree(dir));
    peak = Math.max(peak, residentBytes(pids));
  };
  const timer = setInterval(sample, 50);
  const start = performance.now();
  try {
    const value = await work();
    return { value, ms: Math.round(performance.now() - start), peakMb: Math.round(peak / 2 ** 20) };
  } catch (error) {
    return { error, ms: Math.round(performance.now() - start), peakMb: Math.round(peak / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
}

const stepOf = (rendered: RenderedPage, name: string) => rendered.steps.find((s) => s.name === name);
const pngHeight = (png: Uint8Array) => Buffer.from(png).readUInt32BE(20);

describe('a caller’s signal stops a render at once', () => {
  it('a page stuck in a JavaScript loop (multi-process): rejects promptly, its renderer ends, the next render is good', async () => {
    const dir = renderer.browserDirs[0]!;
    const before = browserProcessTree(dir).length;
    const controller = new AbortController();
    const reason = new DeadlineError('capture', 1_500, 1_500);
    const timer = setTimeout(() => controller.abort(reason), 1_500);
    let abortedAt = 0;
    controller.signal.addEventListener('abort', () => {
      abortedAt = performance.now();
    });
    const result = await measure(renderer, () =>
      renderer.render(`${server.url}/loop-after-load`, undefined, { signal: controller.signal }),
    );
    clearTimeout(timer);
    const afterAbortMs = Math.round(performance.now() - abortedAt);
    expect(result.error).toBeInstanceOf(RenderAbortedError);
    const error = result.error as RenderAbortedError;
    expect(error.cause).toBe(reason);
    // The loop starts when the renderer scrolls: that step was running.
    expect(error.message).toMatch(/stopped during the scroll step after \d+ ms: the capture budget/);
    // Generous for a loaded machine; measured at a few tens of ms.
    expect(afterAbortMs).toBeLessThan(8_000);
    measured.push({
      page: 'JS loop after load, aborted at 1.5 s',
      model: 'multi',
      ms: result.ms,
      peakMb: result.peakMb,
      outcome: `RenderAbortedError ${afterAbortMs} ms after the abort`,
    });
    // The stopped context's renderer process goes; the browser stays for the next capture.
    await waitFor(() => browserProcessTree(dir).length <= before, 10_000, 'the renderer to end');
    const next = await renderer.render(`${server.url}/story`);
    expect(next.html).toContain(TEXT);
    expect(next.steps.every((s) => s.status === 'ok')).toBe(true);
  });

  it('a page whose image never arrives (single-process): the browser and its directory are gone when render rejects', async () => {
    const single = new ChromiumRenderer({
      policy: { allowPrivateNetwork: true },
      userAgent: 'Redline-test',
      processModel: 'single',
      ...budgets,
      navigateTimeoutMs: 30_000,
    });
    try {
      const controller = new AbortController();
      let dirs: string[] = [];
      const watcher = setInterval(() => {
        if (dirs.length === 0) dirs = single.browserDirs;
      }, 20);
      const timer = setTimeout(() => controller.abort(new DeadlineError('capture', 2_000, 2_000)), 2_000);
      const result = await measure(single, () =>
        single.render(`${server.url}/hang`, undefined, { signal: controller.signal }),
      );
      clearTimeout(timer);
      clearInterval(watcher);
      expect(result.error).toBeInstanceOf(RenderAbortedError);
      expect((result.error as Error).message).toMatch(/during the navigate step/);
      expect(dirs).toHaveLength(1);
      expect(single.browserDirs).toEqual([]);
      expect(browserProcessTree(dirs[0]!)).toEqual([]);
      measured.push({
        page: 'image that never arrives, aborted at 2 s',
        model: 'single',
        ms: result.ms,
        peakMb: result.peakMb,
        outcome: 'RenderAbortedError (navigate); browser and directory gone',
      });
      const next = await single.render(`${server.url}/story`);
      expect(next.html).toContain(TEXT);
    } finally {
      await single.close();
    }
  });

  it('a JavaScript loop in the single-process model: the browser is closed or killed, nothing left', async () => {
    const single = new ChromiumRenderer({
      policy: { allowPrivateNetwork: true },
      userAgent: 'Redline-test',
      processModel: 'single',
      ...budgets,
    });
    try {
      const controller = new AbortController();
      let dirs: string[] = [];
      const watcher = setInterval(() => {
        if (dirs.length === 0) dirs = single.browserDirs;
      }, 20);
      const timer = setTimeout(() => controller.abort(new DeadlineError('capture', 2_000, 2_000)), 2_000);
      const result = await measure(single, () =>
        single.render(`${server.url}/loop-after-load`, undefined, { signal: controller.signal }),
      );
      clearTimeout(timer);
      clearInterval(watcher);
      expect(result.error).toBeInstanceOf(RenderAbortedError);
      expect(dirs).toHaveLength(1);
      expect(single.browserDirs).toEqual([]);
      expect(browserProcessTree(dirs[0]!)).toEqual([]);
      measured.push({
        page: 'JS loop after load, aborted at 2 s',
        model: 'single',
        ms: result.ms,
        peakMb: result.peakMb,
        outcome: 'RenderAbortedError; browser and directory gone',
      });
    } finally {
      await single.close();
    }
  });

  it('an already aborted signal renders nothing', async () => {
    const reason = new DeadlineError('capture', 0, 0);
    await expect(
      renderer.render(`${server.url}/story`, undefined, { signal: AbortSignal.abort(reason) }),
    ).rejects.toMatchObject({ name: 'RenderAbortedError', cause: reason });
  });
});

describe('hostile pages end within their budgets', () => {
  it('an infinite JavaScript loop at load: navigate times out, the scripts are stopped, the article as parsed is archived', async () => {
    const result = await measure(renderer, () => renderer.render(`${server.url}/loop-at-load`));
    const rendered = result.value!;
    expect(stepOf(rendered, 'navigate')?.status).toBe('failed');
    expect(stepOf(rendered, 'unresponsive')).toMatchObject({
      status: 'failed',
      detail: /scripts were stopped/,
    });
    expect(rendered.html).toContain(TEXT);
    expect(Buffer.from(rendered.pdf!).subarray(0, 5).toString()).toBe('%PDF-');
    expect(Buffer.from(rendered.screenshot!).subarray(1, 4).toString()).toBe('PNG');
    // navigate 4 s + responsiveness 2 s + scroll and settle; generous for a loaded machine.
    expect(result.ms).toBeLessThan(30_000);
    measured.push({ page: 'JS loop at load', model: 'multi', ...pick(result), outcome: outcome(rendered) });
  });

  it('an infinite JavaScript loop after load: the scripts are stopped, HTML, PDF and screenshot taken', async () => {
    const result = await measure(renderer, () => renderer.render(`${server.url}/loop-after-load`));
    const rendered = result.value!;
    expect(stepOf(rendered, 'navigate')?.status).toBe('ok');
    expect(stepOf(rendered, 'unresponsive')?.status).toBe('failed');
    expect(rendered.html).toContain(TEXT);
    for (const name of ['html', 'pdf', 'screenshot']) expect(stepOf(rendered, name)?.status).toBe('ok');
    expect(result.ms).toBeLessThan(30_000);
    measured.push({
      page: 'JS loop after load',
      model: 'multi',
      ...pick(result),
      outcome: outcome(rendered),
    });
  });

  it('a 100,000-node DOM renders whole; the screenshot stops at maxScreenshotHeight', async () => {
    const result = await measure(renderer, () => renderer.render(`${server.url}/big-dom`));
    const rendered = result.value!;
    for (const name of ['navigate', 'html', 'pdf', 'screenshot'])
      expect(stepOf(rendered, name)?.status).toBe('ok');
    expect(rendered.html).toContain('w9</span>');
    expect((rendered.html!.match(/<span>/g) ?? []).length).toBe(100_000);
    expect(pngHeight(rendered.screenshot!)).toBe(budgets.maxScreenshotHeight);
    expect(result.ms).toBeLessThan(60_000);
    measured.push({
      page: '100,000-node DOM',
      model: 'multi',
      ...pick(result),
      outcome: `${outcome(rendered)}; html ${Math.round(rendered.html!.length / 1024)} KB, pdf ${Math.round(rendered.pdf!.byteLength / 1024)} KB, png ${pngHeight(rendered.screenshot!)} px high`,
    });
  });

  it('a popup storm (window.open in loops, target=_blank clicks) in a fetched document: no window opens, the main frame stays', async () => {
    const body = await (await fetch(`${server.url}/popups`)).arrayBuffer();
    const document = {
      http: { status: 200, finalUrl: `${server.url}/popups`, contentType: 'text/html', headers: {} },
      body: new Uint8Array(body),
    };
    const before = renderer.popups;
    const requested = server.requests.length;
    const result = await measure(renderer, () => renderer.render(`${server.url}/popups`, document));
    const rendered = result.value!;
    const after = renderer.popups;
    expect(rendered.html).toContain(TEXT);
    expect(rendered.finalUrl).toBe(`${server.url}/popups`);
    expect(rendered.steps.some((s) => s.name === 'hold')).toBe(false);
    // The CSP sandbox (no allow-popups) refuses every one: no window, no request for its URL.
    expect(after.opened - before.opened).toBe(0);
    expect(server.requests.slice(requested).filter((r) => r.startsWith('/elsewhere'))).toEqual([]);
    for (const name of ['navigate', 'html', 'pdf', 'screenshot'])
      expect(stepOf(rendered, name)?.status).toBe('ok');
    expect(result.ms).toBeLessThan(30_000);
    measured.push({
      page: 'popup storm (1,400 window.open, 350 target=_blank clicks), fetched document',
      model: 'multi',
      ...pick(result),
      outcome: `${outcome(rendered)}; ${after.opened - before.opened} popups opened`,
    });
  });

  it('the same storm rendered without a fetched document (no sandbox): every popup is closed, the render ends', async () => {
    const before = renderer.popups;
    const result = await measure(renderer, () => renderer.render(`${server.url}/popups`));
    const rendered = result.value!;
    const after = renderer.popups;
    // The main frame stays; the page is so busy opening windows that its steps may run out their budgets.
    expect(rendered.finalUrl).toBe(`${server.url}/popups`);
    expect(after.opened - before.opened).toBeGreaterThan(0);
    await waitFor(() => renderer.popups.open === 0, 10_000, 'every popup to close');
    expect(result.ms).toBeLessThan(100_000);
    measured.push({
      page: 'popup storm, no fetched document (no CSP sandbox)',
      model: 'multi',
      ...pick(result),
      outcome: `${outcome(rendered)}; ${after.opened - before.opened} popups opened and closed, at most ${after.peakOpen} open at once`,
    });
  });
});

describe('the main frame is held after load: the archive is the article as loaded', () => {
  for (const [kind, scheme] of [
    ['blob', 'blob:'],
    ['about-blank', 'about:blank'],
    ['about-srcdoc', 'about:srcdoc'],
    ['data', 'data:'],
    ['javascript', 'javascript:'],
    ['http', 'http:'],
  ] as const) {
    it(`a navigation to ${scheme} after load is held and recorded`, async () => {
      const result = await measure(renderer, () => renderer.render(`${server.url}/to-${kind}`));
      const rendered = result.value!;
      expect(rendered.html).toContain(TEXT);
      expect(rendered.html).not.toContain('ELSEWHERE');
      expect(rendered.finalUrl).toBe(`${server.url}/to-${kind}`);
      const hold = stepOf(rendered, 'hold');
      expect(hold?.detail).toContain(`page tried to navigate to ${scheme}`);
      for (const name of ['html', 'pdf', 'screenshot']) expect(stepOf(rendered, name)?.status).toBe('ok');
      expect(Buffer.from(rendered.pdf!).subarray(0, 5).toString()).toBe('%PDF-');
      measured.push({
        page: `navigates to ${scheme} after load`,
        model: 'multi',
        ...pick(result),
        outcome: outcome(rendered),
      });
    });
  }
});

describe('a navigation in the load event itself', () => {
  it('to blob: is held: the article as loaded is archived, the hold recorded', async () => {
    const result = await measure(renderer, () => renderer.render(`${server.url}/at-load-blob`));
    const rendered = result.value!;
    expect(rendered.html).toContain(TEXT);
    expect(rendered.html).not.toContain('ELSEWHERE');
    expect(stepOf(rendered, 'hold')?.detail).toContain('page tried to navigate to blob:');
    measured.push({
      page: 'navigates to blob: in its load event',
      model: 'multi',
      ...pick(result),
      outcome: outcome(rendered),
    });
  });
});

function pick(result: { ms: number; peakMb: number }) {
  return { ms: result.ms, peakMb: result.peakMb };
}

function outcome(rendered: RenderedPage): string {
  const failed = rendered.steps.filter((s) => s.status !== 'ok').map((s) => s.name);
  return failed.length === 0 ? 'all steps ok' : `failed: ${failed.join(', ')}`;
}
