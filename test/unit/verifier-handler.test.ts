import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { articlePage, ORIGINAL } from '../../demo/news-site.js';
import { VerifierEnvSchema } from '../../functions/contracts/env.js';
import {
  METRICS_NAMESPACE,
  VERIFY_METRIC_NAMES,
  VERIFY_METRICS_DIMENSIONS,
  VERIFY_METRICS_SERVICE,
} from '../../functions/contracts/metrics.js';
import { captureWatch } from '../../functions/core/capture/capture.js';
import type { VerifyAlert, VerifyPass } from '../../functions/core/proof/verify-run.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { handleVerifyBatch, type VerifierConfig } from '../../functions/handlers/verifier.js';
import { memoryCaptureDeps } from '../support/memory.js';

/** The verifier handler's SQS contract: starts, continuations, bad messages, and the metrics it emits. */
async function setup() {
  const { deps, catalog } = memoryCaptureDeps();
  for (const n of [1, 2, 3]) {
    const url = `https://news.example/story-${n}`;
    const { watch } = await addWatch(deps, { url, cadenceSeconds: 900, mode: 'auto', tags: [] });
    deps.fetcher.pages.set(url, { body: articlePage(ORIGINAL, n) });
    await captureWatch(deps, watch);
  }
  const alerts: VerifyAlert[] = [];
  const continued: VerifyPass[] = [];
  const runDeps = {
    blobs: deps.blobs,
    watches: catalog,
    captures: catalog,
    versions: catalog,
    alerts: { publishVerifyAlert: async (a: VerifyAlert) => void alerts.push(a) },
    continuation: { continuePass: async (p: VerifyPass) => void continued.push(p) },
    clock: { now: () => new Date('2026-11-27T03:00:05.000Z') },
    logger: { info() {}, warn() {}, error() {} },
  };
  const env = VerifierEnvSchema.parse({
    TABLE_NAME: 't',
    BUCKET_NAME: 'b',
    ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:0:alerts',
    VERIFY_QUEUE_URL: 'https://sqs.example/q',
    REDLINE_STAGE: 'unit',
    VERIFY_MODE: 'sampled',
    VERIFY_SAMPLE_GROUPS: '3',
  });
  const config: VerifierConfig = { env };
  return { deps: runDeps, config, alerts, continued, blobs: deps.blobs };
}

const sqs = (...bodies: string[]) => ({
  Records: bodies.map((body, i) => ({ messageId: `m${i}`, body })),
});

function emitted(metrics: Metrics) {
  const emf = metrics.serializeMetrics() as unknown as {
    _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[]; Dimensions: string[][] }[] };
  } & Record<string, unknown>;
  const [directive] = emf._aws.CloudWatchMetrics;
  return {
    namespace: directive!.Namespace,
    names: directive!.Metrics.map((m) => m.Name).sort(),
    dimensions: Object.fromEntries(directive!.Dimensions[0]!.map((d) => [d, emf[d]])),
    values: emf,
  };
}

describe('the verifier handler', () => {
  it('starts a sampled pass from the scheduled time, and emits every contract metric in its dimension', async () => {
    const { deps, config, alerts } = await setup();
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: VERIFY_METRICS_SERVICE });
    const result = await handleVerifyBatch(
      sqs(JSON.stringify({ kind: 'verify', scheduledTime: '2026-11-27T03:00:00Z' })),
      deps,
      config,
      () => 600_000,
      metrics,
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(alerts).toEqual([]);
    const out = emitted(metrics);
    expect(out.namespace).toBe(METRICS_NAMESPACE);
    expect(out.names).toEqual([...VERIFY_METRIC_NAMES].sort());
    expect(out.dimensions).toEqual(VERIFY_METRICS_DIMENSIONS);
    expect(out.values.VerifyProblems).toBe(0);
  });

  it('runs a continuation as it is, and reports a malformed message as a failed item for SQS to retry', async () => {
    const { deps, config, continued, alerts } = await setup();
    const pass: VerifyPass = {
      passId: 'full-x',
      mode: 'full',
      scheduledAt: '2026-11-27T03:00:00.000Z',
      startedAt: '2026-11-27T03:00:00.000Z',
      invocations: 3,
      totals: { watches: 0, captures: 0, versions: 0, blobs: 0, bytes: 0, tokens: 0 },
      // Found by an earlier slice: the pass carries it to its summary.
      problemCount: 1,
      problems: [
        {
          code: 'blob_missing',
          watchId: 'w',
          url: 'https://news.example/gone',
          record: 'version 1',
          what: 'pdf',
          digest: `sha256:${'0'.repeat(64)}`,
          detail: 'not in the store',
        },
      ],
    };
    let remaining = 600_000;
    const result = await handleVerifyBatch(
      sqs('not json', JSON.stringify({ kind: 'verify-continue', pass }), JSON.stringify({ kind: 'other' })),
      deps,
      { ...config, env: { ...config.env, VERIFY_MAX_INVOCATIONS: 4 } },
      () => (remaining -= 1000),
    );
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m0', 'm2']);
    expect(continued).toEqual([]); // the fourth slice of four ran to the end
    expect(alerts).toEqual([
      expect.objectContaining({
        passId: 'full-x',
        stage: 'unit',
        invocations: 4,
        problemCount: 1,
        problems: pass.problems,
        totals: expect.objectContaining({ watches: 3 }),
      }),
    ]);
  });
});
