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
