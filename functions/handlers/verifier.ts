import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { DynamoCatalog } from '../adapters/dynamo/dynamo-catalog.js';
import { powertoolsLogger } from '../adapters/powertools-logger.js';
import { S3BlobStore } from '../adapters/s3/s3-blob-store.js';
import { SnsVerifyAlerts } from '../adapters/sns/sns-verify-alerts.js';
import { SqsVerifyContinuation } from '../adapters/sqs/sqs-verify-continuation.js';
import { readTsaRoots } from '../adapters/tsa/config.js';
import { parseEnv, VerifierEnvSchema } from '../contracts/env.js';
import { VERIFY_METRICS as M, METRICS_NAMESPACE, VERIFY_METRICS_SERVICE } from '../contracts/metrics.js';
import {
  runVerifySlice,
  startPass,
  VerifyMessageSchema,
  type VerifyRunDeps,
  type VerifyRunOptions,
  type VerifySlice,
} from '../core/proof/verify-run.js';

/** The SQS event the queue's event source mapping invokes the verifier with. */
export const SqsEventSchema = z.object({
  Records: z.array(z.object({ messageId: z.string(), body: z.string() }).loose()),
});

export interface BatchResult {
  batchItemFailures: { itemIdentifier: string }[];
}

/** The first watch of a slice is given up with less than this left: time to hand the pass on. */
const HARD_MARGIN_MS = 30_000;

/** What the Lambda context offers that the verifier uses. */
interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

export interface VerifierConfig {
  env: Omit<
    z.infer<typeof VerifierEnvSchema>,
    'TABLE_NAME' | 'BUCKET_NAME' | 'ALERTS_TOPIC_ARN' | 'VERIFY_QUEUE_URL' | 'REDLINE_TSA_CA_FILE'
  >;
  roots?: VerifyRunOptions['roots'];
}

/**
 * The verifier's SQS consumer (batch size 1): each message starts a pass or runs a pass's next slice.
 * A slice that throws (the table or the queue unreachable) is reported failed, so SQS delivers the same
 * message again and, after the queue's receive count, dead-letters it (alarmed).
 */
export async function handleVerifyBatch(
  event: unknown,
  deps: VerifyRunDeps,
  config: VerifierConfig,
  remainingMs: () => number,
  metrics?: Metrics,
): Promise<BatchResult> {
  const { Records } = SqsEventSchema.parse(event);
  const batchItemFailures: { itemIdentifier: string }[] = [];
  const { env } = config;
  for (const record of Records) {
    try {
      const message = VerifyMessageSchema.parse(JSON.parse(record.body));
      const pass =
        message.kind === 'verify-continue'
          ? message.pass
          : startPass(
              {
                mode: env.VERIFY_MODE,
                groups: env.VERIFY_MODE === 'sampled' ? env.VERIFY_SAMPLE_GROUPS : 1,
                intervalMs: env.VERIFY_INTERVAL_SECONDS * 1000,
              },
              message.scheduledTime ? new Date(message.scheduledTime) : deps.clock.now(),
              deps.clock.now(),
            );
      const result = await runVerifySlice(deps, pass, {
        stage: env.REDLINE_STAGE,
        ...(config.roots ? { roots: config.roots } : {}),
        remainingMs,
        stopMarginMs: env.VERIFY_STOP_MARGIN_SECONDS * 1000,
        hardMarginMs: HARD_MARGIN_MS,
        maxInvocations: env.VERIFY_MAX_INVOCATIONS,
        concurrency: env.VERIFY_CONCURRENCY,
      });
      if (metrics) countSlice(metrics, result);
    } catch (error) {
      deps.logger.error('verify slice failed', { messageId: record.messageId, error: String(error) });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

/** CloudWatch metrics (EMF via Powertools): blobs and bytes per slice, a pass's problems when it ends. */
export function countSlice(metrics: Metrics, result: VerifySlice): void {
  metrics.addMetric(M.blobs, MetricUnit.Count, result.slice.blobs);
  metrics.addMetric(M.bytes, MetricUnit.Bytes, result.slice.bytes);
  if (result.outcome === 'finished')
    metrics.addMetric(M.problems, MetricUnit.Count, result.pass.problemCount);
}

const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: VERIFY_METRICS_SERVICE });
const logger = powertoolsLogger('redline-verifier');
let cached: { deps: VerifyRunDeps; config: VerifierConfig } | undefined;

function coldStart(): { deps: VerifyRunDeps; config: VerifierConfig } {
  const env = parseEnv(VerifierEnvSchema);
  const catalog = new DynamoCatalog(new DynamoDBClient({}), env.TABLE_NAME);
  const deps: VerifyRunDeps = {
    blobs: new S3BlobStore(new S3Client({}), env.BUCKET_NAME),
    watches: catalog,
    captures: catalog,
    versions: catalog,
    alerts: new SnsVerifyAlerts(new SNSClient({}), env.ALERTS_TOPIC_ARN),
    continuation: new SqsVerifyContinuation(new SQSClient({}), env.VERIFY_QUEUE_URL),
    clock: { now: () => new Date() },
    logger,
  };
  // The same roots the worker stamps with: without them every token is reported untrusted.
  const roots = env.REDLINE_TSA_CA_FILE ? readTsaRoots(env.REDLINE_TSA_CA_FILE).roots : undefined;
  return { deps, config: { env, ...(roots ? { roots } : {}) } };
}

export async function handler(event: unknown, context: LambdaContext): Promise<BatchResult> {
  cached ??= coldStart();
  try {
    return await handleVerifyBatch(
      event,
      cached.deps,
      cached.config,
      () => context.getRemainingTimeInMillis(),
      metrics,
    );
  } finally {
    metrics.publishStoredMetrics();
  }
}
