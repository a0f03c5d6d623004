import { z } from 'zod';

/**
 * Environment of the capture function. The CDK construct builds its `environment` from this same type,
 * so a missing variable fails at synth, not at 3 a.m.
 */
export const CaptureEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  BUCKET_NAME: z.string().min(1),
  TOPIC_ARN: z.string().min(1),
  REDLINE_CONTACT_URL: z.url(),
  CAPTURE_CONCURRENCY: z.coerce.number().int().min(1).max(8).default(2),
  /** Watches read per tick; the rest wait for the next tick. */
  CAPTURE_BATCH_LIMIT: z.coerce.number().int().min(1).max(1000).default(50),
  /** The only way past the network guard; '0' in every deployed stack, '1' only in local tests. */
  REDLINE_ALLOW_PRIVATE_NETWORK: z.enum(['0', '1']).default('0'),
});
export type CaptureEnv = EnvOf<typeof CaptureEnvSchema>;

/** Environment of the watch-admin function. */
export const WatchAdminEnvSchema = z.object({ TABLE_NAME: z.string().min(1) });
export type WatchAdminEnv = EnvOf<typeof WatchAdminEnvSchema>;

/** What a CDK construct must set for a schema: every variable, as a string or number. */
export type EnvOf<S extends z.ZodType> = {
  [K in keyof z.output<S>]: z.output<S>[K] extends number ? number : string;
};

export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid environment: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
