import { z } from 'zod';

/**
 * One env schema per function, shared by the handler (parsed at cold start) and its CDK construct
 * (typed `environment`), so a missing variable fails at synth, not at 3 a.m.
 */
export const CaptureWorkerEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  BUCKET_NAME: z.string().min(1),
  TOPIC_ARN: z.string().min(1),
  /** Capture failures and anomalies, apart from edits. */
  ALERTS_TOPIC_ARN: z.string().min(1),
  REDLINE_CONTACT_URL: z.url(),
  /** The only way past the network guard; '0' in every deployed stack, '1' only in local tests. */
  REDLINE_ALLOW_PRIVATE_NETWORK: z.enum(['0', '1']).default('0'),
  /** Lifetime of the presigned link to the HTML diff in notifications (SigV4: at most 7 days). */
  DIFF_LINK_EXPIRY_SECONDS: z.coerce.number().int().min(60).max(604_800).default(86_400),
  /** The function's timeout: a capture journal entry older than this was left by a stopped invocation. */
  CAPTURE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(900).default(900),
});
export type CaptureWorkerEnv = EnvOf<typeof CaptureWorkerEnvSchema>;

export const PlannerEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  QUEUE_URL: z.string().min(1),
  /** Watches queued per tick at most; the rest stay due for the next tick. */
  PLAN_LIMIT: z.coerce.number().int().min(1).max(100_000).default(5000),
  /** How long a queued watch is leased before it is due again if its capture never completes. */
  LEASE_SECONDS: z.coerce.number().int().min(60).default(3600),
});
export type PlannerEnv = EnvOf<typeof PlannerEnvSchema>;

/** Environment of the watch-admin function. */
export const WatchAdminEnvSchema = z.object({ TABLE_NAME: z.string().min(1) });
export type WatchAdminEnv = EnvOf<typeof WatchAdminEnvSchema>;

/** Environment of the watch-list sync function (the custom resource that upserts `config/<stage>.watches.json` on deploy). */
export const WatchSyncEnvSchema = z.object({ TABLE_NAME: z.string().min(1) });
export type WatchSyncEnv = EnvOf<typeof WatchSyncEnvSchema>;

/** What a CDK construct must set for a schema: every variable, as a string or number. */
export type EnvOf<S extends z.ZodType> = {
  [K in keyof z.output<S>]: z.output<S>[K] extends number ? number : string;
};

export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid environment: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
