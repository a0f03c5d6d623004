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
  /** The viewer's URL (the web stack's CloudFront domain): edit notifications link its diff page (`diffUrl`). */
  VIEWER_URL: z.url({ protocol: /^https?$/ }),
  /** The function's timeout: a capture journal entry older than this was left by a stopped invocation. */
  CAPTURE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(900).default(900),
  /**
   * RFC 3161 authorities that stamp each new version's manifest, comma-separated; empty: no timestamps
   * (ADR 0013). From the stage config's `tsa.urls`.
   */
  REDLINE_TSA_URLS: z.string().default(''),
  /**
   * PEM roots the authorities' tokens must chain to, a file in the function's bundle (a relative path is
   * read from the bundle's directory, LAMBDA_TASK_ROOT); required with URLs.
   */
  REDLINE_TSA_CA_FILE: z.string().default(''),
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

/** Environment of the scheduled verifier (functions/handlers/verifier.ts, infra/verifier.ts). */
export const VerifierEnvSchema = z.object({
  /** Read only: the verifier is granted Query on the table and its watches index, nothing else. */
  TABLE_NAME: z.string().min(1),
  BUCKET_NAME: z.string().min(1),
  /** One summary per pass that found problems. */
  ALERTS_TOPIC_ARN: z.string().min(1),
  /** The verifier's own queue: scheduled starts and the continuations of a pass arrive on it. */
  VERIFY_QUEUE_URL: z.string().min(1),
  /** The stage's name, in the alert. */
  REDLINE_STAGE: z.string().min(1),
  VERIFY_MODE: z.enum(['full', 'sampled']).default('full'),
  /** Sampled: the watches are dealt into this many groups, one verified per scheduled run. */
  VERIFY_SAMPLE_GROUPS: z.coerce.number().int().min(1).max(10_000).default(1),
  /** How far apart runs are scheduled (a run's group is its scheduled time divided by this). */
  VERIFY_INTERVAL_SECONDS: z.coerce.number().int().min(60).default(86_400),
  /** Invocations one pass may chain at most; then it ends, reporting what it did not reach. */
  VERIFY_MAX_INVOCATIONS: z.coerce.number().int().min(1).max(1000).default(48),
  /** No new watch is started with less than this left of the invocation (the rest continues in the next). */
  VERIFY_STOP_MARGIN_SECONDS: z.coerce.number().int().min(1).default(120),
  /** Blobs read at once. */
  VERIFY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  /** PEM roots the timestamp tokens must chain to, a file in the function's bundle; empty: tokens are reported untrusted. */
  REDLINE_TSA_CA_FILE: z.string().default(''),
});
export type VerifierEnv = EnvOf<typeof VerifierEnvSchema>;

const HttpsOrigin = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));

/**
 * Environment of the API function (API Gateway → API, Memento and the viewer's JSON). `APP_URL` is the
 * viewer's origin (CloudFront forwards /api/*, /timemap/*, /timegate/* and /web/* there to API Gateway).
 */
export const ApiEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  BUCKET_NAME: z.string().min(1),
  /** Built files (WACZ, evidence bundles) handed over by a short-lived link (functions/adapters/s3/s3-downloads.ts). */
  EXPORTS_BUCKET_NAME: z.string().min(1),
  APP_URL: HttpsOrigin,
  ARCHIVE_URL: HttpsOrigin,
  /** The Secrets Manager secret holding the archive links' HMAC key (functions/api/archive-token.ts). */
  ARCHIVE_KEY_SECRET_ARN: z.string().min(1),
  /** How long an archive link handed out by the API opens its blob or memento. */
  ARCHIVE_LINK_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  /** The timestamp authorities' PEM roots in the bundle (stage config `tsa`): `tsa-ca.pem` in evidence bundles. */
  REDLINE_TSA_CA_FILE: z.string().default(''),
  /** The largest evidence bundle or WACZ the function builds (in memory, within its 2,048 MB). */
  EXPORT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_000_000)
    .default(100 * 1024 * 1024),
});
export type ApiEnv = EnvOf<typeof ApiEnvSchema>;

/** Environment of the archive function (CloudFront → function URL): archived bytes behind capability links. */
export const ArchiveEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  BUCKET_NAME: z.string().min(1),
  /** The app origin named in mementos' Link headers (TimeGate, TimeMap). */
  APP_URL: HttpsOrigin,
  ARCHIVE_KEY_SECRET_ARN: z.string().min(1),
});
export type ArchiveEnv = EnvOf<typeof ArchiveEnvSchema>;

/** What a CDK construct must set for a schema: every variable, as a string or number. */
export type EnvOf<S extends z.ZodType> = {
  [K in keyof z.output<S>]: z.output<S>[K] extends number ? number : string;
};

export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid environment: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
