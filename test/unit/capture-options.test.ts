import { describe, expect, it } from 'vitest';
import { DEFAULT_DELIVERY_SETTINGS } from '../../functions/core/capture/deliveries.js';
import { DEFAULT_FEED_LIMITS } from '../../functions/core/capture/feed-capture.js';
import { DEFAULT_POLITENESS } from '../../functions/core/capture/politeness.js';
import { PDF_DEFAULTS } from '../../functions/core/detect/pdf.js';
import { PIPELINE_STEPS } from '../../functions/core/domain/model.js';
import { captureOptions, DEFAULT_CAPTURE_OPTIONS } from '../../functions/core/domain/options.js';

describe('capture options', () => {
  it('hold every default in one place: time, sizes, pages, items, connections', () => {
    // The whole list, so a changed budget is a visible, reviewed change.
    expect(DEFAULT_CAPTURE_OPTIONS).toEqual({
      time: {
        captureMs: 240_000,
        lambdaMarginMs: 20_000,
        recordReserveMs: 15_000,
        steps: {
          robots: 15_000,
          wait: 35_000,
          fetch: 65_000,
          feed: 30_000,
          render: 100_000,
          extract: 75_000,
          detect: 30_000,
          confirm: 100_000,
          warc: 30_000,
          version: 30_000,
          proof: 30_000,
          record: 60_000,
        },
      },
      fetch: {
        connectTimeoutMs: 10_000,
        headersTimeoutMs: 20_000,
        bodyTimeoutMs: 30_000,
        totalTimeoutMs: 60_000,
        maxRedirects: 10,
        maxBodyBytes: 25 * 1024 * 1024,
        maxDecodedBytes: 50 * 1024 * 1024,
      },
      render: {
        navigateTimeoutMs: 30_000,
        graceMs: 20,
        quietMs: 150,
        settleTimeoutMs: 3_000,
        scrollTimeoutMs: 3_000,
        responsiveTimeoutMs: 2_000,
        snapshotTimeoutMs: 5_000,
        htmlTimeoutMs: 5_000,
        pdfTimeoutMs: 20_000,
        screenshotTimeoutMs: 20_000,
        maxScreenshotHeight: 16_000,
      },
      connections: { perHost: 2, runConcurrency: 2 },
      politeness: {
        respectRobots: true,
        minDelayMs: 1000,
        robotsTtlMs: 3_600_000,
        robotsRetryMs: 600_000,
        robotsTimeoutMs: 10_000,
        robotsMaxBytes: 512 * 1024,
        maxCrawlDelayMs: 30_000,
        agent: 'Redline',
      },
      feed: { maxBytes: 10 * 1024 * 1024, maxItems: 5000, maxDiscovered: 500 },
      pdf: { maxPages: 2000, maxMemoryMb: 512, timeoutMs: 60_000 },
      html: { maxMemoryMb: 512, timeoutMs: 30_000 },
      detect: {
        confirmEdits: true,
        confirmMinCadenceSeconds: 300,
        maxVolatile: 200,
        alertLimit: { max: 3, windowSeconds: 6 * 3600 },
      },
      journal: { staleSeconds: 900 },
      delivery: { maxAttempts: 8, backoffSeconds: 60, maxBackoffSeconds: 6 * 3600, batch: 25 },
      proof: { restampPerCapture: 3, maxStampAttempts: 10, maxUnstamped: 50 },
      warc: { subresources: true, revisits: true, maxKnownPayloads: 1000 },
      tls: { maxChainCertificates: 10, maxChainBytes: 64 * 1024 },
    });
  });

  it('give every pipeline step a budget, and each step more time than the work it bounds', () => {
    const { time, fetch, render, pdf, html, politeness } = DEFAULT_CAPTURE_OPTIONS;
    expect(Object.keys(time.steps).sort()).toEqual([...PIPELINE_STEPS].sort());
    // A step's budget is a backstop: the adapter's own, more specific budget ends the work first.
    expect(time.steps.fetch).toBeGreaterThan(fetch.totalTimeoutMs);
    expect(time.steps.robots).toBeGreaterThan(politeness.robotsTimeoutMs);
    expect(time.steps.wait).toBeGreaterThan(politeness.maxCrawlDelayMs);
    expect(time.steps.extract).toBeGreaterThan(pdf.timeoutMs);
    // The baseline's article may be read again, then the new one: two HTML budgets.
    expect(time.steps.extract).toBeGreaterThan(2 * html.timeoutMs);
    const browserWork =
      render.navigateTimeoutMs +
      render.settleTimeoutMs +
      render.scrollTimeoutMs +
      render.responsiveTimeoutMs +
      render.snapshotTimeoutMs +
      render.htmlTimeoutMs +
      render.pdfTimeoutMs +
      render.screenshotTimeoutMs;
    expect(time.steps.render).toBeGreaterThan(browserWork);
    expect(time.captureMs).toBeGreaterThan(time.recordReserveMs);
  });

  it('are the defaults the modules use', () => {
    expect(DEFAULT_POLITENESS).toBe(DEFAULT_CAPTURE_OPTIONS.politeness);
    expect(DEFAULT_FEED_LIMITS).toBe(DEFAULT_CAPTURE_OPTIONS.feed);
    expect(DEFAULT_DELIVERY_SETTINGS).toBe(DEFAULT_CAPTURE_OPTIONS.delivery);
    expect(PDF_DEFAULTS).toBe(DEFAULT_CAPTURE_OPTIONS.pdf);
  });

  it('lay a partial input over the defaults at any depth', () => {
    const options = captureOptions({ time: { steps: { fetch: 5 } }, pdf: { maxPages: 10 } });
    expect(options.time.steps.fetch).toBe(5);
    expect(options.time.steps.render).toBe(100_000);
    expect(options.time.captureMs).toBe(240_000);
    expect(options.pdf).toEqual({ maxPages: 10, maxMemoryMb: 512, timeoutMs: 60_000 });
    expect(DEFAULT_CAPTURE_OPTIONS.time.steps.fetch).toBe(65_000); // the defaults are not changed
  });
});
