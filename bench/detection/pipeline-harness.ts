/**
 * Runs a labeled (old, new) pair through the real capture pipeline, not only `compareDocuments`: one
 * watch in `http` mode (the render step does not apply), captured twice with the in-memory ports
 * (test/support/memory.ts). The first capture stores `old` as version 1; the second fetches `new` and
 * goes through extract → detect → confirm → version → record. The confirm step's re-capture fetches
 * again and is served `new` once more, as a page that did not change between two loads would be: a
 * suspected edit pays for a second extraction, as in production.
 */
import { captureWatch } from '../../functions/core/capture/capture.js';
import type { AnomalyKind, Edit, Verdict } from '../../functions/core/domain/model.js';
import type { CaptureOptionsInput } from '../../functions/core/domain/options.js';
import type { FetchedResponse, FetchOptions, HttpFetcher } from '../../functions/core/domain/ports.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { memoryCaptureDeps } from '../../test/support/memory.js';
import type { Pair } from './variants.js';

/** Serves the given bodies in order, the last one for every further request (the confirming re-capture). */
export class SequenceFetcher implements HttpFetcher {
  requests = 0;
  constructor(
    private readonly bodies: readonly Uint8Array[],
    private readonly contentType: string,
  ) {
    if (bodies.length === 0) throw new RangeError('SequenceFetcher needs at least one body');
  }
  async fetch(url: string, _conditional?: unknown, options?: FetchOptions): Promise<FetchedResponse> {
    options?.signal?.throwIfAborted();
    const body = this.bodies[Math.min(this.requests, this.bodies.length - 1)]!;
    this.requests++;
    return {
      http: {
        status: 200,
        finalUrl: url,
        contentType: this.contentType,
        headers: { 'content-type': this.contentType },
      },
      body,
    };
  }
}

export interface PipelineJudgement {
  /** The second capture's verdict (never `first` when the first capture stored a version). */
  verdict: Verdict | undefined;
  anomaly?: AnomalyKind;
  edits: Edit[];
  status: string;
  /** Whether the confirm step ran (a suspected edit on an HTML page). */
  confirmed: boolean;
  /** Fetches the pipeline made: 2, or 3 with the confirming re-capture. */
  fetches: number;
}

const toBytes = (x: string | Uint8Array) => (typeof x === 'string' ? Buffer.from(x) : x);

/**
 * The verdict the pipeline reaches on `pair`. With `confirm: false` the confirm step is off (as
 * `detect.confirmEdits: false`), so each pair costs exactly two captures.
 */
export async function pipelineJudgement(
  pair: Pair,
  { confirm = true }: { confirm?: boolean } = {},
): Promise<PipelineJudgement> {
  const { deps, advance } = memoryCaptureDeps();
  const contentType = pair.format === 'pdf' ? 'application/pdf' : 'text/html; charset=utf-8';
  const fetcher = new SequenceFetcher([toBytes(pair.old), toBytes(pair.new)], contentType);
  const options: CaptureOptionsInput = { detect: { confirmEdits: confirm } };
  const pipelineDeps = { ...deps, fetcher, options };
  const slug = `${pair.page}-${pair.kind}`.replace(/[^a-zA-Z0-9.-]/g, '-');
  const url = `https://corpus.example/${slug}${pair.format === 'pdf' ? '.pdf' : ''}`;
  const { watch } = await addWatch(deps, { url, cadenceSeconds: 3600, mode: 'http', tags: [] });
  const first = await captureWatch(pipelineDeps, watch);
  if (first.capture.verdict !== 'first')
    throw new Error(
      `${pair.page} ${pair.kind}: the baseline capture was ${first.capture.status}/${first.capture.verdict} (${first.capture.reason ?? first.capture.anomaly ?? ''})`,
    );
  advance(60);
  const second = await captureWatch(pipelineDeps, (await deps.watches.getWatch(watch.id))!);
  const { capture } = second;
  return {
    verdict: capture.verdict,
    ...(capture.anomaly ? { anomaly: capture.anomaly } : {}),
    edits: second.version?.edits ?? [],
    status: capture.status,
    confirmed: capture.steps.some((s) => s.name === 'confirm' && s.status === 'ok'),
    fetches: fetcher.requests,
  };
}
