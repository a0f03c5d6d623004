import { z } from 'zod';
import type { CaptureDeps } from '../core/capture.js';
import { captureDueWatches } from '../core/run-due.js';
import { awsCaptureDeps, defaultClients } from './aws-context.js';
import { CaptureEnvSchema, parseEnv } from './env.js';

/** EventBridge Scheduler invokes the function with this payload on every tick. */
export const TickEventSchema = z.object({ kind: z.literal('tick') }).loose();

export interface TickResult {
  due: number;
  captured: number;
  failed: number;
  edited: number;
  anomalies: number;
}

/** The testable inner handler: validate, run one use case, map the result. */
export async function handleTick(
  event: unknown,
  deps: CaptureDeps,
  options: { concurrency: number; limit: number },
): Promise<TickResult> {
  TickEventSchema.parse(event);
  const summary = await captureDueWatches(deps, options);
  const verdicts = summary.results.map((r) => r.capture);
  return {
    due: summary.due,
    captured: verdicts.length,
    failed: verdicts.filter((c) => c.status === 'failed').length,
    edited: verdicts.filter((c) => c.verdict === 'edited').length,
    anomalies: verdicts.filter((c) => c.verdict === 'anomaly').length,
  };
}

let cached: { deps: CaptureDeps; env: z.infer<typeof CaptureEnvSchema> } | undefined;

export async function handler(event: unknown): Promise<TickResult> {
  if (!cached) {
    const env = parseEnv(CaptureEnvSchema);
    cached = { env, deps: awsCaptureDeps(env, defaultClients()) };
  }
  return handleTick(event, cached.deps, {
    concurrency: cached.env.CAPTURE_CONCURRENCY,
    limit: cached.env.CAPTURE_BATCH_LIMIT,
  });
}
