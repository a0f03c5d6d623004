import type { Digest } from '../../domain/digest.js';
import type { HttpExchange, TlsConnection } from '../../domain/ports.js';
import {
  knownPayloads,
  nextPayloadIndex,
  PAYLOADS_CONTENT_TYPE,
  type PayloadIndex,
  parsePayloadIndex,
  payloadIndexBytes,
} from '../../proof/payloads.js';
import type { CaptureContext, CaptureStep } from '../pipeline.js';
import { bodyUnavailable, recordWarc } from '../warc.js';

const SOFTWARE = 'Redline 0.1';

/**
 * The fetcher's TLS connections over the https hops: the server's certificate chain, protocol and cipher,
 * once per origin and chain (a redirect within one origin does not repeat it), with the hops it served.
 */
function fetcherTls(exchanges: HttpExchange[]) {
  const connections: (TlsConnection & { urls: string[] })[] = [];
  for (const { url, tls } of exchanges) {
    if (!tls) continue;
    const same = connections.find((c) => c.origin === tls.origin && c.chain[0] === tls.chain[0]);
    if (same) same.urls.push(url);
    else connections.push({ urls: [url], ...tls });
  }
  return connections;
}

/**
 * The payload index of the baseline (the watch's latest version), read to learn what is archived already;
 * none, unreadable or not one: every payload is written in full, and why is logged.
 */
async function earlierIndex(ctx: CaptureContext): Promise<PayloadIndex | undefined> {
  const ref = ctx.baseline?.artifacts.payloads;
  if (!ref) return undefined;
  try {
    return parsePayloadIndex(await ctx.deps.blobs.get(ref.digest));
  } catch (error) {
    ctx.deps.logger.warn('payload index unreadable: payloads written in full', {
      watchId: ctx.watch.id,
      captureId: ctx.captureId,
      digest: ref.digest,
      error: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}

/**
 * The capture's WARC 1.1: request/response for every hop, then every sub-resource the browser loaded
 * (unless CaptureOptions.warc.subresources is off), a metadata record (the capture's steps, verdict and
 * artifacts), a provenance record, the screenshot. A response whose payload the latest version's payload
 * index lists is a `revisit` pointing at its original (ADR 0006); the capture's own payload index is
 * staged (`payloads`). The provenance JSON is also staged on its own (`provenance`).
 */
export const warcStep: CaptureStep = {
  name: 'warc',
  onFailure: 'partial',
  applies: (ctx) => (ctx.fetched?.exchanges?.length ?? 0) > 0,
  async run(ctx, signal) {
    const { watch, fetched, content, detection, artifacts, rendered, options } = ctx;
    signal.throwIfAborted();
    const exchanges = fetched!.exchanges!;
    const main = exchanges.at(-1);
    const subresources = options.warc.subresources ? rendered?.exchanges : undefined;
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
      /** What the browser's security details said of each https origin it loaded sub-resources from. */
      tls: rendered?.provenance?.tls ?? [],
      /**
       * The certificate chains (PEM, leaf first), protocol and cipher of Redline's own fetcher connection for
       * each https hop: the main document's bytes, which the browser was served, came over these.
       */
      tlsChains: fetcherTls(exchanges),
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
        recorded: subresources?.length ?? 0,
        truncated: subresources ? (rendered?.provenance?.truncated ?? 0) : 0,
        dropped: subresources ? (rendered?.provenance?.dropped ?? 0) : 0,
        /** Of the truncated: bodies the browser received but no longer held, recorded empty and marked so. */
        ...(subresources ? { unavailable: subresources.filter(bodyUnavailable).length } : {}),
      },
    };
    const provenanceJson = Buffer.from(JSON.stringify(provenance, null, 2));
    artifacts.provenance = ctx.staged.add(provenanceJson, 'application/json');
    const earlier = options.warc.revisits ? await earlierIndex(ctx) : undefined;
    signal.throwIfAborted();
    const recording = await recordWarc({
      date: ctx.startedAt.toISOString(),
      exchanges,
      ...(subresources ? { subresources } : {}),
      provenance,
      ...(options.warc.revisits ? { known: knownPayloads(earlier) } : {}),
      // Without an earlier index (a version captured before payload indexes), the final payload is still
      // compared with the last capture's, as before.
      ...(options.warc.revisits && !earlier && watch.lastPayload
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
    artifacts.warc = ctx.staged.add(recording.warc, 'application/warc');
    if (options.warc.revisits) {
      const warc: Digest = artifacts.warc.digest;
      const index = nextPayloadIndex(warc, recording, earlier, options.warc.maxKnownPayloads);
      artifacts.payloads = ctx.staged.add(payloadIndexBytes(index), PAYLOADS_CONTENT_TYPE);
    }
    return undefined;
  },
};
