import type { CaptureStep } from '../pipeline.js';
import { buildWarc } from '../warc.js';

/**
 * The capture's WARC 1.1: request/response for every hop (a `revisit` when the payload is the one last
 * captured), a metadata record (the capture's steps, verdict and artifacts), the screenshot.
 */
export const warcStep: CaptureStep = {
  name: 'warc',
  onFailure: 'partial',
  applies: (ctx) => (ctx.fetched?.exchanges?.length ?? 0) > 0,
  async run(ctx, signal) {
    const { watch, fetched, content, detection, artifacts } = ctx;
    signal.throwIfAborted();
    const warc = await buildWarc({
      date: ctx.startedAt.toISOString(),
      exchanges: fetched!.exchanges!,
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
      ...(ctx.rendered?.screenshot ? { screenshot: ctx.rendered.screenshot } : {}),
      software: 'Redline 0.1',
    });
    artifacts.warc = ctx.staged.add(warc, 'application/warc');
    return undefined;
  },
};
