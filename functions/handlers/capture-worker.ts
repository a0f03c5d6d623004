import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { CaptureWorkerEnvSchema, parseEnv } from '../contracts/env.js';
import { CAPTURE_METRICS as M, METRICS_NAMESPACE, METRICS_SERVICE } from '../contracts/metrics.js';
import type { CaptureDeps } from '../core/capture/capture.js';
import { captureRequested } from '../core/capture/run-due.js';
import { type CaptureRecord, CaptureRequestSchema } from '../core/domain/model.js';
import { captureOptions } from '../core/domain/options.js';
import { awsCaptureDeps, defaultClients } from './aws-context.js';

export const SqsEventSchema = z.object({
  Records: z.array(z.object({ messageId: z.string(), body: z.string() }).loose()),
});

export interface BatchResult {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * The SQS consumer: each message is one capture request. A message that fails (malformed, or an error
 * storing its capture) is reported as a partial batch failure, so only it is retried and, after the
 * queue's maxReceiveCount, dead-lettered; the others are done.
 */
export async function handleCaptureBatch(
  event: unknown,
  deps: CaptureDeps,
  metrics?: Metrics,
  remainingMs?: () => number,
): Promise<BatchResult> {
  const { Records } = SqsEventSchema.parse(event);
  const batchItemFailures: { itemIdentifier: string }[] = [];
  const { time } = captureOptions(deps.options);
  for (const record of Records) {
    // Each capture ends before the function does (its remaining time less a margin), so its record is
    // written with why; a message left too little time is handed back to the queue, not started.
    const deadlineMs = remainingMs ? remainingMs() - time.lambdaMarginMs : undefined;
    if (deadlineMs !== undefined && deadlineMs < time.recordReserveMs * 2) {
      deps.logger.warn('capture request left for a later invocation', {
        messageId: record.messageId,
        remainingMs: remainingMs?.(),
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      const request = CaptureRequestSchema.parse(JSON.parse(record.body));
      const start = performance.now();
      const result = await captureRequested(deps, request, deadlineMs === undefined ? {} : { deadlineMs });
      if (metrics && result !== 'skipped') countCapture(metrics, result.capture, performance.now() - start);
    } catch (error) {
      deps.logger.error('capture request failed', { messageId: record.messageId, error: String(error) });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

/** CloudWatch metrics (EMF via Powertools): captures by outcome, edits, anomalies, failures, duration. */
export function countCapture(metrics: Metrics, capture: CaptureRecord, ms: number): void {
  metrics.addMetric(M.captures, MetricUnit.Count, 1);
  if (capture.status === 'complete') metrics.addMetric(M.complete, MetricUnit.Count, 1);
  if (capture.status === 'partial') metrics.addMetric(M.partial, MetricUnit.Count, 1);
  if (capture.status === 'failed') metrics.addMetric(M.failed, MetricUnit.Count, 1);
  if (capture.verdict === 'edited') metrics.addMetric(M.edits, MetricUnit.Count, 1);
  if (capture.verdict === 'anomaly') metrics.addMetric(M.anomalies, MetricUnit.Count, 1);
  metrics.addMetric(M.duration, MetricUnit.Milliseconds, ms);
}

const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
let deps: CaptureDeps | undefined;

/** What the Lambda context offers that the worker uses. */
interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

export async function handler(event: unknown, context?: LambdaContext): Promise<BatchResult> {
  deps ??= awsCaptureDeps(parseEnv(CaptureWorkerEnvSchema), defaultClients());
  try {
    return await handleCaptureBatch(
      event,
      deps,
      metrics,
      context ? () => context.getRemainingTimeInMillis() : undefined,
    );
  } finally {
    metrics.publishStoredMetrics();
  }
}
