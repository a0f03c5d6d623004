import type { Browser, Page, Request } from 'playwright-core';
import { RenderError } from '../../core/domain/errors.js';
import type { Step } from '../../core/domain/model.js';
import type { NetworkPolicy } from '../../core/domain/net-policy.js';
import type { FetchedResponse, PageRenderer, RenderedPage } from '../../core/domain/ports.js';
import { GuardProxy } from '../net/guard-proxy.js';
import type { Resolver } from '../net/resolve.js';
import { launchOptions } from './browser-launch.js';
import {
  type BrowserDir,
  createBrowserDir,
  decideSandbox,
  isSandboxFailure,
  readSandboxFacts,
  removeBrowserDir,
  type SandboxDecision,
  type SandboxFacts,
} from './confinement.js';

export {
  hardenedArgs,
  SANDBOX_OFF_FLAGS,
  SINGLE_PROCESS_FLAGS,
  UNSAFE_FLAGS,
} from './browser-launch.js';
export type { SandboxDecision, SandboxFacts } from './confinement.js';

export interface RendererOptions {
  policy: NetworkPolicy;
  resolver?: Resolver;
  userAgent: string;
  navigateTimeoutMs?: number;
  /** After load, how long to watch for new requests before calling a page settled. */
  graceMs?: number;
  /** Once requests started after load, how long the network must then stay quiet. */
  quietMs?: number;
  /** The most time to wait for quiet: busy pages (ads, polling) are normal, not a failure. */
  settleTimeoutMs?: number;
  /** Scrolling down the page once, so lazy-loaded content and images load. */
  scrollTimeoutMs?: number;
  pdfTimeoutMs?: number;
  screenshotTimeoutMs?: number;
  maxScreenshotHeight?: number;
  /** Take the full-page PNG (on by default). */
  screenshot?: boolean;
  /**
   * `multi` (default): Chromium's own process model: one browser for the process, each capture's
   * renderer forked from the zygote. `single`: what @sparticuz/chromium needs inside Lambda
   * (`--single-process --no-zygote`; without them the sandbox's prctl(PR_SET_NO_NEW_PRIVS) fails
   * there). Such a browser ends with its context, so each capture launches its own.
   */
  processModel?: 'multi' | 'single';
  viewport?: { width: number; height: number };
  /**
   * Chromium's sandbox. Left out, the rule in confinement.ts decides (on unless single-process, Lambda,
   * root, or no user namespaces and no setuid helper) and a launch that finds no usable sandbox retries
   * without one. `true` insists (such a launch fails); `false` turns it off.
   */
  sandbox?: boolean;
  /** The facts the sandbox rule reads from /proc and the environment; tests pass their own. */
  sandboxFacts?: SandboxFacts;
}

type OptionalOptions = 'resolver' | 'sandbox' | 'sandboxFacts';

/**
 * Counts the page's requests in flight (the favicon aside). Playwright's 'networkidle' always waits
 * 500 ms. Here, after load: if nothing starts within `graceMs`, the page is settled; if requests do
 * start (late XHRs, lazy images after scrolling), wait until none is in flight for `quietMs`.
 */
function trackNetwork(page: Page) {
  let inflight = 0;
  let lastActivity = performance.now();
  const counts = (request: { url(): string }) => !request.url().endsWith('/favicon.ico');
  const touch = (delta: number) => (request: { url(): string }) => {
    if (!counts(request)) return;
    inflight += delta;
    lastActivity = performance.now();
  };
  page.on('request', touch(1));
  page.on('requestfinished', touch(-1));
  page.on('requestfailed', touch(-1));
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  return {
    /** Resolves with a note when the network was still busy at the end of the budget (normal for ads, polling). */
    async settle(
      since: number,
      graceMs: number,
      quietMs: number,
      budgetMs: number,
    ): Promise<string | undefined> {
      const deadline = performance.now() + budgetMs;
      const wait = since + graceMs - performance.now();
      if (wait > 0) await sleep(wait);
      if (inflight <= 0 && lastActivity < since) return undefined;
      while (performance.now() < deadline) {
        if (inflight <= 0 && performance.now() - lastActivity >= quietMs) return undefined;
        await sleep(10);
      }
      return `network still busy after ${budgetMs} ms (${inflight} in flight); captured as is`;
    },
  };
}

/** Scrolls a viewport at a time to the bottom (lazy content), at most ~budget, then back to the top. */
async function scrollThrough(page: Page, budgetMs: number): Promise<void> {
  await page.evaluate(async (budget) => {
    // Only pages that defer content need it: native lazy loading, the usual data-src conventions,
    // or a page more than two screens long (infinite scroll, IntersectionObserver widgets).
    const lazy = document.querySelector(
      'img[loading="lazy"],iframe[loading="lazy"],[data-src],[data-srcset],[data-lazy],[data-lazy-src],.lazyload',
    );
    if (!lazy && document.documentElement.scrollHeight <= window.innerHeight * 2) return;
    const deadline = Date.now() + budget * 0.8;
    const step = Math.max(window.innerHeight, 400);
    let y = 0;
    while (y + window.innerHeight < document.documentElement.scrollHeight && Date.now() < deadline) {
      y += step;
      window.scrollTo(0, y);
      await new Promise((resolve) => setTimeout(resolve, 16));
    }
    window.scrollTo(0, 0);
  }, budgetMs);
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RenderError(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Headless Chromium from @sparticuz/chromium driven by playwright-core. One browser per process, a fresh
 * context per capture, every connection through the GuardProxy, per-step time budgets.
 */
/**
 * Playwright and @sparticuz/chromium, loaded on the first launch: commands and functions that never render
 * (`redline watch list`, the planner) do not pay ~0.6 s to import them.
 */
async function loadBrowserModules() {
  const [{ chromium }, { default: sparticuz }] = await Promise.all([
    import('playwright-core'),
    import('@sparticuz/chromium'),
  ]);
  return { chromium, sparticuz };
}

export class ChromiumRenderer implements PageRenderer {
  private browser?: Promise<Browser>;
  private proxy?: GuardProxy;
  private readonly options: Required<Omit<RendererOptions, OptionalOptions>> &
    Pick<RendererOptions, OptionalOptions>;

  constructor(options: RendererOptions) {
    this.options = {
      navigateTimeoutMs: 30_000,
      graceMs: 20,
      quietMs: 150,
      settleTimeoutMs: 3_000,
      scrollTimeoutMs: 3_000,
      pdfTimeoutMs: 20_000,
      screenshotTimeoutMs: 20_000,
      maxScreenshotHeight: 16_000,
      screenshot: true,
      viewport: { width: 1280, height: 900 },
      processModel: 'multi',
      ...options,
    };
  }

  /** Connections the guard refused, for tests and diagnostics. */
  get denied() {
    return this.proxy?.denied ?? [];
  }

  /** Whether the browsers run in Chromium's sandbox, and why; known once a browser launched. */
  get sandbox(): SandboxDecision | undefined {
    return this.sandboxDecision;
  }

  /** The private directories of the browsers running now, for tests and diagnostics. */
  get browserDirs(): string[] {
    return [...this.dirs.values()].map((dir) => dir.root);
  }

  private proxyUrl?: Promise<string>;
  private sandboxDecision?: SandboxDecision;
  /** Each running browser's own directory (confinement.ts), removed when that browser closes or dies. */
  private readonly dirs = new Map<Browser, BrowserDir>();

  private async launchBrowser(onDisconnected: (browser: Browser) => void): Promise<Browser> {
    this.proxyUrl ??= (async () => {
      this.proxy = new GuardProxy(this.options.policy, this.options.resolver);
      return this.proxy.start();
    })();
    const { sparticuz } = await loadBrowserModules();
    const executablePath = await sparticuz.executablePath();
    const proxyUrl = await this.proxyUrl;
    const { processModel, sandbox, sandboxFacts } = this.options;
    this.sandboxDecision ??=
      sandbox === undefined
        ? decideSandbox(sandboxFacts ?? readSandboxFacts(processModel, executablePath))
        : { sandbox, reason: 'set by the caller' };
    const decided = this.sandboxDecision;
    try {
      return await this.launchConfined(executablePath, proxyUrl, decided.sandbox, onDisconnected);
    } catch (error) {
      // The rule reads sysctls; a container's seccomp profile can still refuse the namespaces. Then the
      // sandbox truly cannot run here: say so and launch without it, unless the caller insisted on it.
      if (!decided.sandbox || sandbox === true || !isSandboxFailure(error)) throw error;
      const why = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      this.sandboxDecision = { sandbox: false, reason: `Chromium could not start its sandbox here: ${why}` };
      return this.launchConfined(executablePath, proxyUrl, false, onDisconnected);
    }
  }

  private async launchConfined(
    executablePath: string,
    proxyUrl: string,
    sandbox: boolean,
    onDisconnected: (browser: Browser) => void,
  ): Promise<Browser> {
    const { chromium, sparticuz } = await loadBrowserModules();
    const dir = await createBrowserDir();
    let browser: Browser;
    try {
      browser = await chromium.launch(
        launchOptions({
          executablePath,
          defaults: sparticuz.args,
          proxyUrl,
          processModel: this.options.processModel,
          sandbox,
          dir,
          parentEnv: process.env,
        }),
      );
    } catch (error) {
      await removeBrowserDir(dir).catch(() => undefined);
      throw error;
    }
    this.dirs.set(browser, dir);
    // Closed by us or crashed: either way its directory goes.
    browser.on('disconnected', () => {
      onDisconnected(browser);
      void this.removeDir(browser).catch(() => undefined);
    });
    return browser;
  }

  private async removeDir(browser: Browser): Promise<void> {
    const dir = this.dirs.get(browser);
    if (!dir) return;
    await removeBrowserDir(dir);
    this.dirs.delete(browser);
  }

  /** Closes a browser and removes its directory; a directory that will not go stays listed for close(). */
  private async closeBrowser(browser: Browser): Promise<void> {
    await browser.close().catch(() => undefined);
    await this.removeDir(browser).catch(() => undefined);
  }

  /** The process's browser (multi), or a browser of this capture's own (single). */
  private launch(): Promise<Browser> {
    if (this.options.processModel === 'single') return this.launchBrowser(() => undefined);
    if (!this.browser) {
      // A browser that failed to start or crashed is replaced at the next capture.
      const forget = () => {
        if (this.browser === launching) this.browser = undefined;
      };
      const launching = this.launchBrowser(forget);
      launching.catch(forget);
      this.browser = launching;
    }
    return this.browser;
  }

  async render(url: string, document?: FetchedResponse): Promise<RenderedPage> {
    const browser = await this.launch();
    try {
      return await this.renderIn(browser, url, document);
    } finally {
      if (this.options.processModel === 'single') await this.closeBrowser(browser);
    }
  }

  private async renderIn(browser: Browser, url: string, document?: FetchedResponse): Promise<RenderedPage> {
    const context = await browser.newContext({
      serviceWorkers: 'block',
      acceptDownloads: false,
      userAgent: this.options.userAgent,
      viewport: this.options.viewport,
    });
    const steps: Step[] = [];
    const result: RenderedPage = { finalUrl: url, steps };
    try {
      const page = await context.newPage();
      page.on('popup', (popup) => void popup.close().catch(() => undefined));
      page.on('dialog', (dialog) => void dialog.dismiss().catch(() => undefined));
      const network = trackNetwork(page);
      // Navigations the page tries on its own: to file:// (Chromium refuses and says so) or, after load, anywhere.
      const escapes: string[] = [];
      page.on('console', (message) => {
        const local = /Not allowed to load local resource: (\S+)/.exec(message.text());
        if (local) escapes.push(local[1]!);
      });
      // One route for the main frame: the first navigation (and its redirects) loads the page, served from
      // the fetched bytes when we have them; any later navigation is the page trying to leave the document
      // we archive, and is held. Sub-resources pass on to the network (through the guard proxy).
      let first: Request | undefined;
      await page.route('**/*', (route) => {
        const request = route.request();
        if (!request.isNavigationRequest() || request.frame() !== page.mainFrame()) return route.fallback();
        const redirectOfFirst = first !== undefined && request.redirectedFrom() === first;
        if (first !== undefined && !redirectOfFirst) {
          escapes.push(request.url());
          return route.abort('blockedbyclient');
        }
        first = request;
        if (document && !redirectOfFirst) {
          // Render the bytes that were fetched and archived, not a second response from the origin.
          return route.fulfill({
            status: document.http.status,
            contentType: document.http.contentType || 'text/html',
            body: Buffer.from(document.body),
          });
        }
        return route.fallback();
      });
      await this.step(steps, 'navigate', this.options.navigateTimeoutMs, async () => {
        await page.goto(url, { waitUntil: 'load', timeout: this.options.navigateTimeoutMs });
      });
      const loadedAt = performance.now();
      await this.step(steps, 'scroll', this.options.scrollTimeoutMs, () =>
        scrollThrough(page, this.options.scrollTimeoutMs),
      );
      const settleStart = performance.now();
      const busy = await network.settle(
        loadedAt,
        this.options.graceMs,
        this.options.quietMs,
        this.options.settleTimeoutMs,
      );
      steps.push({
        name: 'settle',
        status: 'ok',
        ms: Math.round(performance.now() - settleStart),
        ...(busy ? { detail: busy } : {}),
      });
      if (escapes.length > 0) {
        steps.push({
          name: 'hold',
          status: 'failed',
          ms: 0,
          detail: `page tried to navigate to ${escapes[0]} (blocked)`,
        });
      }
      result.finalUrl = page.url();
      result.html = await this.step(steps, 'html', 5_000, () => page.content());
      result.pdf = await this.step(steps, 'pdf', this.options.pdfTimeoutMs, () =>
        page.pdf({ format: 'A4', printBackground: true }),
      );
      if (this.options.screenshot) {
        result.screenshot = await this.step(steps, 'screenshot', this.options.screenshotTimeoutMs, () =>
          this.screenshot(page),
        );
      }
      return result;
    } finally {
      await context.close().catch(() => undefined);
    }
  }

  private async screenshot(page: Page): Promise<Uint8Array> {
    // Playwright's screenshot first waits for document.fonts.ready, which stays pending while the
    // document is still loading (a sub-resource that never ends): stop loading first, as the browser's
    // Stop button would. The HTML and PDF are taken by then.
    const height = await page.evaluate(() => {
      if (document.readyState !== 'complete') window.stop();
      return document.documentElement.scrollHeight;
    });
    const { width } = this.options.viewport;
    const capped = Math.min(Math.max(height, 1), this.options.maxScreenshotHeight);
    return page.screenshot({ fullPage: true, clip: { x: 0, y: 0, width, height: capped }, type: 'png' });
  }

  private async step<T>(
    steps: Step[],
    name: Step['name'],
    budgetMs: number,
    work: () => Promise<T>,
  ): Promise<T | undefined> {
    const start = performance.now();
    try {
      const value = await withTimeout(work(), budgetMs, name);
      steps.push({ name, status: 'ok', ms: Math.round(performance.now() - start) });
      return value;
    } catch (error) {
      const detail = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      steps.push({ name, status: 'failed', ms: Math.round(performance.now() - start), detail });
      return undefined;
    }
  }

  async close(): Promise<void> {
    const browser = this.browser;
    this.browser = undefined;
    const launched = await browser?.catch(() => undefined);
    if (launched) await this.closeBrowser(launched);
    await this.proxy?.close();
    this.proxy = undefined;
    this.proxyUrl = undefined;
    // Directories whose removal failed before (or of browsers still closing): one more try, and say so.
    const failures: unknown[] = [];
    for (const held of [...this.dirs.keys()])
      await this.removeDir(held).catch((error) => failures.push(error));
    if (failures.length > 0)
      throw new RenderError(`could not remove ${failures.length} browser directories`, {
        cause: failures[0],
      });
  }
}
