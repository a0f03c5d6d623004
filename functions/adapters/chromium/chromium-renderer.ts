import { readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, JSHandle, Page, Request } from 'playwright-core';
import { RenderAbortedError, RenderError } from '../../core/domain/errors.js';
import type { Step } from '../../core/domain/model.js';
import type { NetworkPolicy } from '../../core/domain/net-policy.js';
import { DEFAULT_CAPTURE_OPTIONS } from '../../core/domain/options.js';
import type {
  FetchedResponse,
  HttpExchange,
  PageRenderer,
  RenderedPage,
  RenderOptions,
  RenderProvenance,
} from '../../core/domain/ports.js';
import { GuardProxy } from '../net/guard-proxy.js';
import type { Resolver } from '../net/resolve.js';
import { launchOptions, launchRetryingStartupCrash } from './browser-launch.js';
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
import { browserProcessTree, killProcesses } from './processes.js';

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
  /** Reading the rendered HTML (page.content()). */
  htmlTimeoutMs?: number;
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
  /** How long the page may take to answer at all before its JavaScript is called stuck and stopped. */
  responsiveTimeoutMs?: number;
  /** Budget of each copy of the article's DOM kept in case the page replaces its document later. */
  snapshotTimeoutMs?: number;
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
  /**
   * Tests only: base64 SHA-256 hashes of the public keys (SPKI) whose certificates the browser accepts
   * without a trusted chain (`--ignore-certificate-errors-spki-list`), for a test server's own CA.
   */
  acceptSpki?: string[];
  /**
   * Have the browser keep a copy of each response body until it is read (on by default: see
   * keepResponseBodies). Off, bodies the page's renderer dropped are recorded as unavailable; tests turn it
   * off to see that path, as a browser without the setting would take it.
   */
  keepResponseBodies?: boolean;
}

type OptionalOptions = 'resolver' | 'sandbox' | 'sandboxFacts' | 'acceptSpki';

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
      stopped: () => boolean = () => false,
    ): Promise<string | undefined> {
      const deadline = performance.now() + budgetMs;
      const wait = since + graceMs - performance.now();
      if (wait > 0) await sleep(wait);
      if (inflight <= 0 && lastActivity < since) return undefined;
      while (performance.now() < deadline && !stopped()) {
        if (inflight <= 0 && performance.now() - lastActivity >= quietMs) return undefined;
        await sleep(10);
      }
      return `network still busy after ${budgetMs} ms (${inflight} in flight); captured as is`;
    },
  };
}

/** An installed package's version, found from its main entry upward (exports may hide package.json); `unknown` in a bundle. */
function packageVersion(name: string): string {
  try {
    let dir = dirname(nodeModule.createRequire(import.meta.url).resolve(name));
    for (let depth = 0; depth < 8; depth++, dir = dirname(dir)) {
      try {
        const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (json.name === name && json.version) return json.version;
      } catch {
        // not this directory
      }
    }
  } catch {
    // not resolvable here
  }
  return 'unknown';
}

let softwareVersions: Record<string, string> | undefined;
const renderSoftware = () =>
  (softwareVersions ??= {
    'playwright-core': packageVersion('playwright-core'),
    '@sparticuz/chromium': packageVersion('@sparticuz/chromium'),
  });

/** Caps on what the WARC records of the browser's own exchanges. */
export const EXCHANGE_LIMITS = {
  maxBodyBytes: 10 * 1024 * 1024,
  maxTotalBytes: 50 * 1024 * 1024,
  maxExchanges: 500,
};
const MAX_TLS_ORIGINS = 32;
/** How long the capture waits, at its end, for response bodies still being read from the browser (generous: a loaded machine reads a 10 MB body slowly). */
const EXCHANGE_WAIT_MS = 15_000;
/**
 * Past this many bytes on the wire, an empty body read back means the body was lost, not empty: more than
 * any framing of an empty body (chunk markers `0\r\n\r\n`, an empty gzip or deflate stream) takes.
 */
const EMPTY_BODY_FRAMING = 32;

/**
 * Has the browser keep a copy of every response body as it arrives, outside the page's renderer, so the
 * body can be read after the page is done with it. Without it, `Network.getResponseBody` (Playwright's
 * `response.body()`) reads the renderer's own copy, which Chromium drops for resources the page cannot
 * use: an image that fails to decode, a `<link rel=prefetch>`: their bodies come back empty (with a
 * Content-Length, Playwright then fetches the URL a second time and hands back that). The copy is Chromium's
 * "durable messages" (`Network.configureDurableMessages`): bounded in total, oldest out first; bodies are
 * read as their requests finish, so one is only lost if the page loads more than the bound meanwhile.
 * A browser that does not know the command (an older Chromium) reads as before: a body it dropped is
 * recorded as unavailable (`recordExchanges`).
 */
async function keepResponseBodies(cdp: CDPSession, limits = EXCHANGE_LIMITS): Promise<void> {
  await cdp
    .send('Network.configureDurableMessages', {
      maxTotalBufferSize: limits.maxTotalBytes,
      maxResourceBufferSize: limits.maxTotalBytes,
    })
    .catch(() => undefined);
}

/**
 * Records every request the page makes (the main frame's own navigations aside: the archived document is the
 * fetcher's) with its response, as the browser received it: through the guard proxy, HTTPS included.
 * Bounded: bodies over `maxBodyBytes` are kept cut short (`truncated`), and past `maxTotalBytes` or
 * `maxExchanges` exchanges are counted as dropped.
 */
function recordExchanges(
  page: Page,
  addressOf: (host: string) => string | undefined,
  recording = true,
  limits = EXCHANGE_LIMITS,
) {
  const exchanges: HttpExchange[] = [];
  const tls = new Map<string, RenderProvenance['tls'][number]>();
  const pending = new Set<Promise<void>>();
  let bytes = 0;
  let dropped = 0;
  let truncated = 0;
  let closed = false;
  const record = async (request: Request) => {
    if (closed) return;
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) return;
    if (!/^https?:/.test(request.url())) return;
    if (exchanges.length >= limits.maxExchanges || bytes >= limits.maxTotalBytes) {
      dropped++;
      return;
    }
    const response = await request.response();
    if (!response) return;
    const [requestHeaders, headers, security, body, sizes] = await Promise.all([
      request.allHeaders(),
      response.allHeaders(),
      response.securityDetails().catch(() => null),
      // Redirects, 204 and 304 have no body to give; others may have been dropped from Chromium's buffer.
      response.body().catch(() => undefined),
      request.sizes().catch(() => undefined),
    ]);
    const bodiless = (status: number) => (status >= 300 && status < 400) || status === 204 || status < 200;
    // Read back empty while bytes came over the wire: the browser no longer held the body (never an
    // empty payload passed off as the response).
    const announced = Number(headers['content-length'] ?? 0);
    const emptied =
      body !== undefined &&
      body.byteLength === 0 &&
      ((!headers['content-encoding'] && announced > 0) ||
        (sizes?.responseBodySize ?? 0) > EMPTY_BODY_FRAMING);
    const lost =
      (body === undefined || emptied) && !bodiless(response.status()) && request.method() !== 'HEAD';
    if (closed) return;
    const room = Math.min(limits.maxBodyBytes, limits.maxTotalBytes - bytes);
    if (exchanges.length >= limits.maxExchanges || room <= 0) {
      dropped++;
      return;
    }
    const received = body ?? Buffer.alloc(0);
    const cut = received.byteLength > room;
    if (cut || lost) truncated++;
    const wireBody = cut ? received.subarray(0, room) : received;
    bytes += wireBody.byteLength;
    // A request body counts against the same caps; one that does not fit is left out.
    const sent = request.postDataBuffer();
    const requestBody =
      sent && sent.byteLength <= Math.min(limits.maxBodyBytes, limits.maxTotalBytes - bytes)
        ? sent
        : undefined;
    bytes += requestBody?.byteLength ?? 0;
    // Playwright hands the body decoded: its framing headers would describe other bytes.
    delete headers['content-encoding'];
    const target = new URL(request.url());
    const origin = target.origin;
    // Every connection goes through the guard proxy, so the browser's serverAddr() is the proxy's: the
    // server's address is the one the proxy checked and connected to.
    const address = addressOf(target.hostname);
    if (security && origin.startsWith('https:') && !tls.has(origin) && tls.size < MAX_TLS_ORIGINS)
      tls.set(origin, {
        origin,
        ...(security.protocol ? { protocol: security.protocol } : {}),
        ...(security.issuer ? { issuer: security.issuer } : {}),
        ...(security.subjectName ? { subjectName: security.subjectName } : {}),
        ...(security.validFrom !== undefined ? { validFrom: security.validFrom } : {}),
        ...(security.validTo !== undefined ? { validTo: security.validTo } : {}),
      });
    exchanges.push({
      url: request.url(),
      method: request.method(),
      requestHeaders,
      ...(requestBody ? { requestBody } : {}),
      status: response.status(),
      headers,
      wireBody,
      ...(address ? { ipAddress: address } : {}),
      ...(cut ? { truncated: 'length' as const } : lost ? { truncated: 'unspecified' as const } : {}),
    });
  };
  const track = (request: Request) => {
    const work = record(request).catch(() => undefined);
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  // Not recording (CaptureOptions.warc.subresources off): no body is read, nothing is kept.
  if (recording) page.on('requestfinished', track);
  return {
    /** What was recorded, once the bodies being read are in (each wait bounded). */
    async done(waitMs: number) {
      await settledWithin(Promise.all([...pending]), waitMs);
      // Bodies still being read past the wait are left out, and counted.
      closed = true;
      return {
        exchanges: [...exchanges],
        tls: [...tls.values()],
        dropped: dropped + pending.size,
        truncated,
      };
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
 * Served with the document we render (the fetched bytes): a CSP sandbox that keeps scripts and the page's
 * origin but not `allow-popups`, `allow-modals`, `allow-forms` or `allow-downloads`. Chromium then opens no
 * window for window.open or target=_blank (headless shell has no popup blocker: a storm of window.open
 * otherwise creates a page per call), in the page or any frame of it, shows no dialog, submits no form.
 * Popups that still open (a render without a fetched document) are closed at once.
 */
const SANDBOX_POLICY = 'sandbox allow-scripts allow-same-origin';

/** How long stopping a capture may wait for its context or browser to close, and then for its work to end. */
const STOP_WAIT_MS = 5_000;

/** Whether `work` settled (either way) within `ms`. */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = work.then(
    () => true as const,
    () => true as const,
  );
  return Promise.race([done, late]).finally(() => clearTimeout(timer));
}

/** One capture in progress: what stopping it must close, and the step it is in (for the error's message). */
interface CaptureState {
  step: string;
  started: number;
  aborted: boolean;
  browser?: Browser;
  context?: BrowserContext;
}

/** Where the page tried to take its main frame, in order, each once; at most MAX_HELD kept. */
class HeldNavigations {
  static readonly MAX_HELD = 20;
  readonly list: string[] = [];
  private more = 0;
  add(target: string) {
    if (this.list.includes(target)) return;
    if (this.list.length < HeldNavigations.MAX_HELD) this.list.push(target);
    else this.more++;
  }
  get dropped() {
    return this.more;
  }
}

function holdStep(holds: HeldNavigations, replaced: boolean, from = 0): Step {
  const targets = holds.list.slice(from);
  const shown = (targets[0] ?? holds.list[0] ?? 'another document').slice(0, 300);
  const others = targets.length - 1 + (from === 0 ? holds.dropped : 0);
  const outcome = replaced
    ? 'held: the page had replaced its document; the article as loaded was restored and archived'
    : 'blocked';
  return {
    name: 'hold',
    status: 'failed',
    ms: 0,
    detail: `page tried to navigate to ${shown} (${outcome})${others > 0 ? `; ${others} more` : ''}`,
  };
}

/** The same text Playwright's page.content() returns: the doctype, then the root element. */
function serializeDocument(doc: Document): string {
  const doctype = doc.doctype ? new XMLSerializer().serializeToString(doc.doctype) : '';
  return doctype + (doc.documentElement?.outerHTML ?? '');
}

/**
 * The article's document as loaded, held by a handle, with a copy of its DOM: if the page later replaces
 * its document (blob:, about:blank, a javascript: URL's result), the copy is what gets archived.
 */
class ArticleSnapshot {
  html?: string;
  private doc?: JSHandle<Document>;
  constructor(
    private readonly page: Page,
    private readonly loadedUrl: string,
  ) {}

  /** Keeps a handle on the loaded document (if it still is the one at the loaded URL) and a copy of its DOM. */
  async take(budgetMs: number): Promise<void> {
    try {
      if (!this.doc) {
        const doc = await withTimeout(
          this.page.evaluateHandle(() => document),
          budgetMs,
          'snapshot',
        );
        if (
          (await withTimeout(
            doc.evaluate((d) => d.URL),
            budgetMs,
            'snapshot',
          )) !== this.loadedUrl
        )
          return;
        this.doc = doc;
      }
      const doc = this.doc;
      this.html = await withTimeout(doc.evaluate(serializeDocument), budgetMs, 'snapshot');
    } catch {
      // Replaced or unanswered: the last copy stands.
    }
  }

  /** Whether the main frame no longer shows the loaded document (its context is gone, or another took its place). */
  async replaced(): Promise<boolean> {
    if (!this.doc) return this.page.url() !== this.loadedUrl;
    try {
      return !(await withTimeout(
        this.doc.evaluate((d) => d === document),
        2_000,
        'document check',
      ));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return /context was destroyed|Cannot find context|disposed/i.test(message);
    }
  }

  /** After a restore: the restored document is the one to watch. */
  async rebase(budgetMs: number): Promise<void> {
    this.doc = undefined;
    await this.take(budgetMs);
  }
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
      ...DEFAULT_CAPTURE_OPTIONS.render,
      screenshot: true,
      keepResponseBodies: true,
      viewport: { width: 1280, height: 900 },
      processModel: 'multi',
      ...options,
    };
  }

  /** Connections the guard refused, for tests and diagnostics. */
  get denied() {
    return this.proxy?.denied ?? [];
  }

  /** Popups pages opened (and were closed at once), and the most open at the same time, for tests and diagnostics. */
  get popups(): { opened: number; open: number; peakOpen: number } {
    return { ...this.popupCount };
  }
  private readonly popupCount = { opened: 0, open: 0, peakOpen: 0 };

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
      return await launchRetryingStartupCrash(() =>
        this.launchConfined(executablePath, proxyUrl, decided.sandbox, onDisconnected),
      );
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
          ...(this.options.acceptSpki ? { acceptSpki: this.options.acceptSpki } : {}),
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

  /**
   * Closes a browser and removes its directory; a directory that will not go stays listed for close(). A
   * browser that does not close within STOP_WAIT_MS (in the single-process model its page's JavaScript runs
   * in the browser process) is killed, with every process under it.
   */
  private async closeBrowser(browser: Browser): Promise<void> {
    const closed = browser.close().catch(() => undefined);
    if (!(await settledWithin(closed, STOP_WAIT_MS))) {
      const dir = this.dirs.get(browser);
      if (dir) killProcesses(browserProcessTree(dir.root));
      await settledWithin(closed, STOP_WAIT_MS);
    }
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

  async render(url: string, document?: FetchedResponse, options: RenderOptions = {}): Promise<RenderedPage> {
    const { signal } = options;
    const state: CaptureState = { step: 'launch', started: performance.now(), aborted: false };
    const stopped = () =>
      new RenderAbortedError(url, state.step, Math.round(performance.now() - state.started), {
        cause: signal?.reason,
      });
    if (signal?.aborted) throw stopped();
    const work = this.renderCapture(url, document, state, options.recordExchanges ?? true);
    if (!signal) return work;
    let onAbort: () => void = () => undefined;
    try {
      return await new Promise<RenderedPage>((resolve, reject) => {
        onAbort = () => {
          // What the capture was doing when stopped, named before closing it makes every step fail.
          const error = stopped();
          state.aborted = true;
          void this.stopCapture(state, work).finally(() => reject(error));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        // Once stopping, the capture's own outcome (its steps failing on a closed page) no longer counts.
        work.then(
          (rendered) => state.aborted || resolve(rendered),
          (error) => state.aborted || reject(error),
        );
      });
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Closes a stopped capture's context (multi) or its browser (single) now, then waits, bounded, for its work to unwind. */
  private async stopCapture(state: CaptureState, work: Promise<unknown>): Promise<void> {
    if (this.options.processModel === 'single') {
      if (state.browser) await this.closeBrowser(state.browser);
    } else if (state.context) {
      await settledWithin(
        state.context.close().catch(() => undefined),
        STOP_WAIT_MS,
      );
    }
    // Every call on a closed page fails at once, so the work ends soon; a browser still launching (single)
    // is closed by the work itself when the launch returns.
    await settledWithin(work, STOP_WAIT_MS);
  }

  private async renderCapture(
    url: string,
    document: FetchedResponse | undefined,
    state: CaptureState,
    recording: boolean,
  ): Promise<RenderedPage> {
    const browser = await this.launch();
    state.browser = browser;
    try {
      if (state.aborted) throw new RenderError('stopped before the page was opened');
      return await this.renderIn(browser, url, document, state, recording);
    } finally {
      if (this.options.processModel === 'single') await this.closeBrowser(browser);
    }
  }

  private async renderIn(
    browser: Browser,
    url: string,
    document: FetchedResponse | undefined,
    state: CaptureState,
    recording: boolean,
  ): Promise<RenderedPage> {
    state.step = 'context';
    const context = await browser.newContext({
      serviceWorkers: 'block',
      acceptDownloads: false,
      userAgent: this.options.userAgent,
      viewport: this.options.viewport,
    });
    state.context = context;
    const steps: Step[] = [];
    const result: RenderedPage = { finalUrl: url, steps };
    const step = <T>(name: Step['name'], budgetMs: number, work: () => Promise<T>) => {
      state.step = name;
      return this.step(steps, name, budgetMs, work);
    };
    try {
      if (state.aborted) throw new RenderError('stopped before the page was opened');
      const page = await context.newPage();
      // Popups (window.open, target=_blank, and popups' own popups) are closed as they open: none may accumulate.
      context.on('page', (other) => {
        if (other === page) return;
        this.popupCount.opened++;
        this.popupCount.open++;
        this.popupCount.peakOpen = Math.max(this.popupCount.peakOpen, this.popupCount.open);
        other.once('close', () => this.popupCount.open--);
        void other.close().catch(() => undefined);
      });
      page.on('dialog', (dialog) => void dialog.dismiss().catch(() => undefined));
      const network = trackNetwork(page);
      const recorder = recordExchanges(page, (host) => this.proxy?.addressOf(host), recording);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Page.enable');
      // Before the page loads anything: every body it receives is kept until read.
      if (recording && this.options.keepResponseBodies) await keepResponseBodies(cdp);
      const { frameTree } = await cdp.send('Page.getFrameTree');
      const mainFrameId = frameTree.frame.id;
      // Navigations the page tries on its own: to file:// and top-level data: (Chromium refuses both and says
      // so), to http(s) (the route below aborts them), to blob:, about: (Chromium lets those through: no
      // network request, so no route sees them; CDP reports them, and a document they replace is restored).
      const holds = new HeldNavigations();
      page.on('console', (message) => {
        const refused =
          /Not allowed to load local resource: (\S+)/.exec(message.text()) ??
          /Not allowed to navigate top frame to data URL: (\S+)/.exec(message.text());
        if (refused) holds.add(refused[1]!);
      });
      cdp.on('Page.frameRequestedNavigation', (event) => {
        if (event.frameId === mainFrameId && event.disposition === 'currentTab') holds.add(event.url);
      });
      // One route for the main frame: the first navigation (and its redirects) loads the page, served from
      // the fetched bytes when we have them; any later navigation is the page trying to leave the document
      // we archive, and is held: aborted as ERR_ABORTED, which (unlike a blocked request) commits no error
      // page in place of the article. A restore (below) is the one navigation we make ourselves.
      let first: Request | undefined;
      let restoring = false;
      let restoreWith: string | undefined;
      await page.route('**/*', (route) => {
        const request = route.request();
        if (!request.isNavigationRequest() || request.frame() !== page.mainFrame()) return route.fallback();
        if (restoring) {
          restoring = false;
          if (restoreWith === undefined) return route.fallback();
          return route.fulfill({
            status: 200,
            contentType: 'text/html; charset=utf-8',
            headers: { 'content-security-policy': SANDBOX_POLICY },
            body: restoreWith,
          });
        }
        const redirectOfFirst = first !== undefined && request.redirectedFrom() === first;
        if (first !== undefined && !redirectOfFirst) {
          holds.add(request.url());
          return route.abort('aborted');
        }
        first = request;
        if (document && !redirectOfFirst) {
          // Render the bytes that were fetched and archived, not a second response from the origin.
          return route.fulfill({
            status: document.http.status,
            contentType: document.http.contentType || 'text/html',
            headers: { 'content-security-policy': SANDBOX_POLICY },
            body: Buffer.from(document.body),
          });
        }
        return route.fallback();
      });
      await step('navigate', this.options.navigateTimeoutMs, async () => {
        await page.goto(url, { waitUntil: 'load', timeout: this.options.navigateTimeoutMs });
      });
      const loadedAt = performance.now();
      const loadedUrl = page.url();
      // A page whose JavaScript never yields (a loop at or after load) answers nothing, not even the
      // snapshot below: stop its scripts, as Chrome's "page unresponsive" dialog would, and go on.
      await this.unfreeze(page, cdp, steps, state);
      const article = new ArticleSnapshot(page, loadedUrl);
      state.step = 'snapshot';
      await article.take(this.options.snapshotTimeoutMs);
      if (this.options.scrollTimeoutMs > 0)
        await step('scroll', this.options.scrollTimeoutMs, () =>
          scrollThrough(page, this.options.scrollTimeoutMs),
        );
      state.step = 'settle';
      const settleStart = performance.now();
      const busy = await network.settle(
        loadedAt,
        this.options.graceMs,
        this.options.quietMs,
        this.options.settleTimeoutMs,
        () => state.aborted,
      );
      steps.push({
        name: 'settle',
        status: 'ok',
        ms: Math.round(performance.now() - settleStart),
        ...(busy ? { detail: busy } : {}),
      });
      // From here the page's scripts stop: nothing the page does may change or replace what we archive.
      await this.unfreeze(page, cdp, steps, state);
      state.step = 'snapshot';
      await settledWithin(cdp.send('Emulation.setScriptExecutionDisabled', { value: true }), 2_000);
      await article.take(this.options.snapshotTimeoutMs);
      const restore = async () => {
        // The page replaced the article (blob:, about:, javascript: URL): load the article's DOM as it was
        // (scripts stay off, so its own code cannot leave again) and archive that.
        restoreWith = article.html ?? (document ? Buffer.from(document.body).toString('utf8') : undefined);
        restoring = true;
        const target = loadedUrl.startsWith('http') ? loadedUrl : url;
        const restored = await step('restore', this.options.navigateTimeoutMs, () =>
          page.goto(target, { waitUntil: 'load', timeout: this.options.navigateTimeoutMs }),
        );
        restoring = false;
        restoreWith = undefined;
        await article.rebase(this.options.snapshotTimeoutMs);
        return restored !== undefined;
      };
      let replaced = await article.replaced();
      if (replaced && holds.list.length === 0)
        holds.add('javascript: URL (the page replaced its document with the URL’s result)');
      if (holds.list.length > 0) steps.push(holdStep(holds, replaced));
      if (replaced) await restore();
      for (let attempt = 0; attempt < 2; attempt++) {
        result.finalUrl = page.url();
        result.html = await step('html', this.options.htmlTimeoutMs, () => page.content());
        result.pdf = await step('pdf', this.options.pdfTimeoutMs, () =>
          page.pdf({ format: 'A4', printBackground: true }),
        );
        if (this.options.screenshot) {
          result.screenshot = await step('screenshot', this.options.screenshotTimeoutMs, () =>
            this.screenshot(page),
          );
        }
        // A navigation already on its way when the scripts stopped may still have landed: once more.
        const heldBefore = holds.list.length;
        replaced = await article.replaced();
        if (!replaced) break;
        steps.push(holdStep(holds, true, heldBefore));
        if (!(await restore())) break;
      }
      state.step = 'exchanges';
      const recorded = await recorder.done(EXCHANGE_WAIT_MS);
      result.exchanges = recorded.exchanges;
      result.provenance = {
        browserVersion: browser.version(),
        userAgent: this.options.userAgent,
        software: renderSoftware(),
        tls: recorded.tls,
        dropped: recorded.dropped,
        truncated: recorded.truncated,
      };
      return result;
    } finally {
      await settledWithin(
        context.close().catch(() => undefined),
        STOP_WAIT_MS,
      );
    }
  }

  /**
   * Checks the page answers within ~2 s; if not, its JavaScript is stuck (a loop): terminate what runs and
   * turn scripts off, recorded as a failed `unresponsive` step. CDP calls into a renderer busy in JavaScript
   * wait for it, except Runtime.terminateExecution, which interrupts it.
   */
  private async unfreeze(page: Page, cdp: CDPSession, steps: Step[], state: CaptureState): Promise<void> {
    if (state.aborted) return;
    state.step = 'responsiveness check';
    const start = performance.now();
    const answered = await settledWithin(
      page.evaluate(() => 1),
      this.options.responsiveTimeoutMs,
    );
    if (answered) return;
    state.step = 'unresponsive';
    const disabled = cdp.send('Emulation.setScriptExecutionDisabled', { value: true }).catch(() => undefined);
    // A timer queued behind the loop could start another: a few tries, each bounded.
    let alive = false;
    for (let attempt = 0; attempt < 3 && !alive && !state.aborted; attempt++) {
      // Bounded too: a renderer busy in a synchronous browser call (window.open) answers even this late.
      await settledWithin(cdp.send('Runtime.terminateExecution'), 2_000);
      alive = await settledWithin(
        page.evaluate(() => 1),
        2_000,
      );
    }
    await settledWithin(disabled, 2_000);
    steps.push({
      name: 'unresponsive',
      status: 'failed',
      ms: Math.round(performance.now() - start),
      detail: alive
        ? `the page's JavaScript did not yield for ${this.options.responsiveTimeoutMs} ms: its scripts were stopped and the page captured as it stood`
        : `the page's JavaScript did not yield and could not be stopped`,
    });
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
