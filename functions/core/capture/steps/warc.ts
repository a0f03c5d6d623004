import type { CaptureStep } from '../pipeline.js';
import { buildWarc } from '../warc.js';

const SOFTWARE = 'Redline 0.1';

/**
 * The capture's WARC 1.1: request/response for every hop (a `revisit` when the payload is the one last
 * captured), then every sub-resource the browser loaded, a metadata record (the capture's steps, verdict and
 * artifacts), a provenance record, the screenshot. The provenance JSON is also staged on its own (`provenance`).
 */
export const warcStep: CaptureStep = {
  name: 'warc',
  onFailure: 'partial',
  applies: (ctx) => (ctx.fetched?.exchanges?.length ?? 0) > 0,
  async run(ctx, signal) {
    const { watch, fetched, content, detection, artifacts, rendered } = ctx;
    signal.throwIfAborted();
    const exchanges = fetched!.exchanges!;
    const main = exchanges.at(-1);
    const provenance = {
      url: watch.url,
      finalUrl: main?.url,
      capturedAt: ctx.startedAt.toISOString(),
      serverIp: main?.ipAddress ?? null,
      hops: exchanges.map((exchange) => ({
        url: exchange.url,
        status: exchange.status,
        ip: exchange.ipAddress ?? null,
      })),
      userAgent: rendered?.provenance?.userAgent ?? main?.requestHeaders['user-agent'] ?? null,
      tls: rendered?.provenance?.tls ?? [],
      software: {
        redline: SOFTWARE,
        node: process.version,
        ...(rendered?.provenance
          ? { chromium: rendered.provenance.browserVersion, ...rendered.provenance.software }
          : {}),
      },
      options: ctx.options,
      egress: process.env.REDLINE_EGRESS?.trim() || 'unspecified',
      subresources: {
        recorded: rendered?.exchanges?.length ?? 0,
        truncated: rendered?.provenance?.truncated ?? 0,
        dropped: rendered?.provenance?.dropped ?? 0,
      },
    };
    const provenanceJson = Buffer.from(JSON.stringify(provenance, null, 2));
    artifacts.provenance = ctx.staged.add(provenanceJson, 'application/json');
    const warc = await buildWarc({
      date: ctx.startedAt.toISOString(),
      exchanges,
      ...(rendered?.exchanges ? { subresources: rendered.exchanges } : {}),
      provenance,
      ...(watch.lastPayload
        ? { previousPayload: { ...watch.lastPayload, date: watch.lastPayload.capturedAt } }
        : {}),
      metadata: {
        watchId: watch.id,
        captureId: ctx.captureId,
        url: watch.url,
        startedAt: ctx.startedAt.toISOString(),
        capturedAt: ctx.capturedAt,
        mode: watch.mode,
        verdict: detection?.verdict,
        anomaly: content?.anomaly,
        textHash: content?.textHash,
        steps: ctx.steps,
        artifacts,
      },
      ...(rendered?.screenshot ? { screenshot: rendered.screenshot } : {}),
      software: SOFTWARE,
    });
    artifacts.warc = ctx.staged.add(warc, 'application/warc');
    return undefined;
  },
};
