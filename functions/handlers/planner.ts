import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { DynamoCatalog } from '../adapters/dynamo/dynamo-catalog.js';

import { powertoolsLogger } from '../adapters/powertools-logger.js';
import { SqsCaptureQueue } from '../adapters/sqs/sqs-capture-queue.js';
import { PlannerEnvSchema, parseEnv } from '../contracts/env.js';
import { type Clock, systemClock } from '../core/domain/clock.js';
import type { CaptureQueue, WatchStore } from '../core/domain/ports.js';
import { type PlanResult, planDueCaptures } from '../core/watches/plan.js';

/** EventBridge Scheduler invokes the planner with this payload on every tick. */
export const TickEventSchema = z.object({ kind: z.literal('tick') }).loose();

export async function handlePlan(
  event: unknown,
  deps: { watches: WatchStore; queue: CaptureQueue; clock: Clock },
  options: { limit: number; leaseSeconds: number },
): Promise<PlanResult> {
  TickEventSchema.parse(event);
  return planDueCaptures(deps, options);
}

let cached: { deps: Parameters<typeof handlePlan>[1]; options: Parameters<typeof handlePlan>[2] } | undefined;
const logger = powertoolsLogger('redline-planner');

export async function handler(event: unknown): Promise<PlanResult> {
  if (!cached) {
    const env = parseEnv(PlannerEnvSchema);
    cached = {
      deps: {
        watches: new DynamoCatalog(new DynamoDBClient({}), env.TABLE_NAME),
        queue: new SqsCaptureQueue(new SQSClient({}), env.QUEUE_URL),
        clock: systemClock,
      },
      options: { limit: env.PLAN_LIMIT, leaseSeconds: env.LEASE_SECONDS },
    };
  }
  const result = await handlePlan(event, cached.deps, cached.options);
  logger.info('planned', { ...result });
  return result;
}
