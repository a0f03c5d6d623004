import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_CONTACT_URL } from '../functions/core/domain/user-agent.js';

/** One deployment stage's settings: `config/<stage>.json`, validated at synth. */
export const StageConfigSchema = z.object({
  stage: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/),
  contactUrl: z.url().default(DEFAULT_CONTACT_URL),
  /** How often the planner looks for due watches. */
  tickMinutes: z.number().int().min(1).max(1440).default(5),
  planLimit: z.number().int().min(1).max(100_000).default(5000),
  capture: z
    .object({
      memoryMiB: z.number().int().min(1024).max(10240).default(2048),
      timeoutSeconds: z.number().int().min(60).max(900).default(300),
      /** Messages per invocation (each is one capture) and how many workers at most. */
      batchSize: z.number().int().min(1).max(10).default(1),
      maxConcurrency: z.number().int().min(2).max(1000).default(10),
      /** Deliveries before a message is dead-lettered. */
      maxReceiveCount: z.number().int().min(1).max(20).default(3),
    })
    .default({ memoryMiB: 2048, timeoutSeconds: 300, batchSize: 1, maxConcurrency: 10, maxReceiveCount: 3 }),
  storage: z
    .object({
      /** Move artifacts to S3 Glacier Instant Retrieval after this many days (0: never). */
      infrequentAfterDays: z.number().int().min(0).default(90),
      /** WORM: objects cannot be deleted or overwritten for `days` (COMPLIANCE: not even by root). */
      objectLock: z
        .object({ mode: z.enum(['GOVERNANCE', 'COMPLIANCE']), days: z.number().int().min(1) })
        .optional(),
    })
    .default({ infrequentAfterDays: 90 }),
  logRetentionDays: z.number().int().min(1).default(30),
  /** Alarm notifications by email (optional; synth warns when unset: the alarms would reach no one). */
  alarmEmail: z.email().optional(),
  /**
   * Capture anomalies and failures (the alerts topic) by email (optional). Apart from `alarmEmail` on
   * purpose: alerts are per watch and can be many, alarms are few and mean "act now".
   */
  alertsEmail: z.email().optional(),
  /** Edit notifications by email (optional; subscribers can also use SNS filter policies). */
  editsEmail: z.email().optional(),
  /** Alarm when no capture has completed for this many hours. */
  noCaptureAlarmHours: z.number().int().min(1).default(6),
  /** The analysts' desk on AWS (infra/web-stack.ts): viewer, API, archive origin, sign-in. */
  web: z
    .object({
      /** How long an archive link handed out by the API opens its blob or memento (iframes, images). */
      archiveLinkMinutes: z.number().int().min(1).max(1440).default(60),
      /**
       * The Cognito hosted UI's domain prefix (`<prefix>.auth.<region>.amazoncognito.com`), unique in the
       * region; default `redline-<stage>-<account id>`.
       */
      authDomainPrefix: z
        .string()
        .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/)
        .optional(),
      /** Sign-in sessions: the access token's lifetime (the viewer signs in again after it). */
      sessionMinutes: z.number().int().min(5).max(1440).default(60),
      /** API Gateway's default route throttling (requests per second, burst). */
      throttle: z
        .object({ rate: z.number().min(1).max(10_000), burst: z.number().int().min(1).max(5000) })
        .default({ rate: 50, burst: 100 }),
    })
    .default({ archiveLinkMinutes: 60, sessionMinutes: 60, throttle: { rate: 50, burst: 100 } }),
});
export type StageConfig = z.infer<typeof StageConfigSchema>;

export function loadStageConfig(stage: string, dir = join(import.meta.dirname, '..', 'config')): StageConfig {
  const raw = JSON.parse(readFileSync(join(dir, `${stage}.json`), 'utf8'));
  return StageConfigSchema.parse({ stage, ...raw });
}

/**
 * The stage's watch-list file, `config/<stage>.watches.json`, synced on every deploy (checked whole at
 * synth by the stack); undefined when the stage has none.
 */
export function watchListFile(
  stage: string,
  dir = join(import.meta.dirname, '..', 'config'),
): string | undefined {
  const path = join(dir, `${stage}.watches.json`);
  return existsSync(path) ? path : undefined;
}
