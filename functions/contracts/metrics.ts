/**
 * The capture worker's CloudWatch metrics: what functions/handlers/capture-worker.ts emits (EMF via
 * Powertools) and what infra/capture-stack.ts alarms on and graphs. One list, so a renamed metric cannot
 * leave an alarm watching a name nothing emits (test/unit/contracts.test.ts).
 */

/** CloudWatch namespace of the capture worker's metrics. */
export const METRICS_NAMESPACE = 'Redline';

/** Powertools `serviceName` of the worker; it becomes the `service` dimension of every metric. */
export const METRICS_SERVICE = 'capture';

/** The dimensions every worker metric carries (Powertools adds `service` from the service name). */
export const METRICS_DIMENSIONS = { service: METRICS_SERVICE } as const;

/** Every metric the worker emits, by what it counts. */
export const CAPTURE_METRICS = {
  /** Every capture attempted (skipped requests not counted). */
  captures: 'Captures',
  complete: 'CapturesComplete',
  partial: 'CapturesPartial',
  failed: 'CaptureFailures',
  edits: 'Edits',
  anomalies: 'Anomalies',
  /** Milliseconds per capture. */
  duration: 'CaptureDuration',
} as const;

export type CaptureMetricName = (typeof CAPTURE_METRICS)[keyof typeof CAPTURE_METRICS];

export const CAPTURE_METRIC_NAMES: readonly CaptureMetricName[] = Object.values(CAPTURE_METRICS);

/** Powertools `serviceName` of the scheduled verifier: the `service` dimension of its metrics (same namespace). */
export const VERIFY_METRICS_SERVICE = 'verifier';

/** The dimensions every verifier metric carries. */
export const VERIFY_METRICS_DIMENSIONS = { service: VERIFY_METRICS_SERVICE } as const;

/** Every metric the verifier emits (functions/handlers/verifier.ts), alarmed and graphed by infra/verifier.ts. */
export const VERIFY_METRICS = {
  /** Problems a pass found, emitted once per pass when it ends (0 for a clean pass). */
  problems: 'VerifyProblems',
  /** Blobs read and re-hashed, per invocation. */
  blobs: 'BlobsVerified',
  /** Bytes of those blobs, per invocation. */
  bytes: 'BytesVerified',
} as const;

export type VerifyMetricName = (typeof VERIFY_METRICS)[keyof typeof VERIFY_METRICS];

export const VERIFY_METRIC_NAMES: readonly VerifyMetricName[] = Object.values(VERIFY_METRICS);
