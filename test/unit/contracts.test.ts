import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { StackOutputsSchema } from '../../functions/adapters/cloudformation/stack-outputs.js';
import { S3BlobStore } from '../../functions/adapters/s3/s3-blob-store.js';
import {
  CAPTURE_METRIC_NAMES,
  METRICS_DIMENSIONS,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
} from '../../functions/contracts/metrics.js';
import {
  CAPTURE_OUTPUTS,
  DATA_OUTPUTS,
  STACK_SUFFIXES,
  stackNames,
  stagePrefix,
} from '../../functions/contracts/outputs.js';
import { BLOB_KEY_PATTERN, BLOB_PREFIX, blobKey } from '../../functions/contracts/storage.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import type { CaptureRecord } from '../../functions/core/domain/model.js';
import { countCapture } from '../../functions/handlers/capture-worker.js';
import { OBSERVED_METRICS } from '../../infra/capture-stack.js';

/**
 * What infra and functions share, checked from both sides without synthesizing anything (the templates
 * are checked in test/infra/stacks.test.ts). Importing infra loads aws-cdk-lib: a generous timeout.
 */
const SLOW_IMPORTS = { timeout: 120_000 };

/** The EMF document the worker's Powertools metrics would print for one capture of each outcome. */
function emitted(): { namespace: string; names: Set<string>; dimensions: Record<string, unknown> } {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
  const base = { url: 'https://news.example/a', capturedAt: '2026-11-26T10:00:00.000Z' };
  const outcomes = [
    { status: 'complete', verdict: 'edited' },
    { status: 'partial', verdict: 'anomaly' },
    { status: 'failed' },
  ] as const;
  for (const outcome of outcomes) countCapture(metrics, { ...base, ...outcome } as CaptureRecord, 1200);
  const emf = metrics.serializeMetrics() as unknown as {
    _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[]; Dimensions: string[][] }[] };
  } & Record<string, unknown>;
  const [directive] = emf._aws.CloudWatchMetrics;
  const dimensions = Object.fromEntries((directive?.Dimensions[0] ?? []).map((d) => [d, emf[d]]));
  return {
    namespace: directive?.Namespace ?? '',
    names: new Set(directive?.Metrics.map((m) => m.Name)),
    dimensions,
  };
}

describe('metrics contract', () => {
  it('the worker emits every contract metric, in the namespace and dimensions the stack reads', () => {
    const { namespace, names, dimensions } = emitted();
    expect(namespace).toBe(METRICS_NAMESPACE);
    expect([...names].sort()).toEqual([...CAPTURE_METRIC_NAMES].sort());
    expect(dimensions).toEqual(METRICS_DIMENSIONS);
  });

  it('the stack alarms on and graphs exactly the metrics the worker emits', SLOW_IMPORTS, () => {
    const observed = new Set<string>([
      ...OBSERVED_METRICS.alarms,
      ...Object.values(OBSERVED_METRICS.dashboard).flat(),
    ]);
    expect([...observed].sort()).toEqual([...emitted().names].sort());
  });
});

describe('stack outputs contract', () => {
  it('the CLI reads outputs by their contract names, data and capture stack alike', () => {
    const declared: string[] = [...Object.values(DATA_OUTPUTS), ...Object.values(CAPTURE_OUTPUTS)];
    const read = Object.keys(StackOutputsSchema.shape);
    for (const name of read) expect(declared).toContain(name);
    // Everything the remote runtime opens is in what it reads.
    for (const name of [DATA_OUTPUTS.tableName, DATA_OUTPUTS.bucketName, CAPTURE_OUTPUTS.captureQueueUrl])
      expect(read).toContain(name);
  });

  it('stack names and the stage prefix round-trip', () => {
    const names = stackNames('Redline-prod');
    expect(names).toEqual({
      data: `Redline-prod-${STACK_SUFFIXES.data}`,
      web: `Redline-prod-${STACK_SUFFIXES.web}`,
      capture: `Redline-prod-${STACK_SUFFIXES.capture}`,
    });
    for (const name of ['Redline-prod', names.data, names.web, names.capture])
      expect(stagePrefix(name)).toBe('Redline-prod');
    expect(stagePrefix('Redline-prod-Database')).toBe('Redline-prod-Database');
  });
});

describe('storage contract', () => {
  it('the S3 blob store keys blobs as blobs/sha256/<hex>, under the pattern IAM allows', () => {
    const digest = sha256('bytes');
    const key = new S3BlobStore({} as never, 'bucket').keyOf(digest);
    expect(key).toBe(blobKey(digest.slice('sha256:'.length)));
    expect(key).toBe(`blobs/sha256/${digest.slice(7)}`);
    expect(key.startsWith(BLOB_PREFIX)).toBe(true);
    expect(BLOB_KEY_PATTERN).toBe(`${BLOB_PREFIX}*`);
  });
});
