import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_CONTACT_URL } from '../functions/core/domain/user-agent.js';
import { MAX_AUTHORITIES } from '../functions/core/proof/stamp-all.js';
import { parsePemCertificates } from '../functions/core/proof/timestamp.js';
import { VERIFY_MODES } from '../functions/core/proof/verify-run.js';

const DEFAULT_CONFIG_DIR = join(import.meta.dirname, '..', 'config');

/** `rate(1 day)`, `rate(6 hours)`, `rate(30 minutes)`: EventBridge Scheduler's rate expressions. */
const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
/** `cron(0 3 * * ? *)`: EventBridge Scheduler's six-field cron (checked by the service on deploy). */
const CRON = /^cron\((\S+ ){5}\S+\)$/;
const UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3600, day: 86_400 };

/** Seconds between runs of a `rate(...)` expression; undefined for a cron expression. */
export function rateSeconds(schedule: string): number | undefined {
  const match = RATE.exec(schedule);
  return match ? Number(match[1]) * UNIT_SECONDS[match[2]!.replace(/s$/, '')]! : undefined;
}

/**
 * The scheduled verifier (functions/handlers/verifier.ts): `full` re-reads every blob of every watch each
 * run; `sampled` verifies a share of the watches per run (`sampleFraction`), every watch once per cycle of
 * ceil(1 / sampleFraction) runs. A pass that does not fit in one invocation continues in the next, at most
 * `maxInvocations` per pass.
 */
const VerifySchema = z
  .strictObject({
    schedule: z
      .string()
      .refine((s) => RATE.test(s) || CRON.test(s), 'expected rate(N minutes|hours|days) or cron(6 fields)')
      .default('rate(1 day)'),
    mode: z.enum(VERIFY_MODES).default('sampled'),
    /** Sampled: the share of the watches verified per run. */
    sampleFraction: z.number().gt(0).max(1).default(0.1),
    /** Hours between runs: needed for a sampled `cron(...)` schedule (a rate says it itself). */
    intervalHours: z
      .number()
      .positive()
      .max(24 * 366)
      .optional(),
    timeoutMinutes: z.number().int().min(1).max(15).default(15),
    memoryMiB: z.number().int().min(256).max(10240).default(1024),
    /** Invocations one pass may chain at most (each at most `timeoutMinutes`). */
    maxInvocations: z.number().int().min(1).max(1000).default(48),
  })
  .refine((v) => v.mode === 'full' || rateSeconds(v.schedule) !== undefined || v.intervalHours, {
    message: 'a sampled verifier on a cron schedule needs intervalHours (the time between runs)',
    path: ['intervalHours'],
  });
export type VerifyConfig = z.infer<typeof VerifySchema>;

/** Seconds between the verifier's runs: from its rate, or `intervalHours` with a cron schedule (a day by default). */
export function verifyIntervalSeconds(verify: VerifyConfig): number {
  return rateSeconds(verify.schedule) ?? Math.round((verify.intervalHours ?? 24) * 3600);
}

/**
 * RFC 3161 timestamp authorities (ADR 0013): `urls` stamp every new version's manifest (none: timestamps
 * off, tokens still verified), `caFile` is the PEM file of the roots their tokens must chain to, relative
 * to the config directory. Checked at synth; shipped inside the worker's and the verifier's bundles.
 */
const TsaSchema = z.strictObject({
  urls: z
    .array(
      z
        .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
        .refine((url) => !url.includes(','), 'a URL with a comma cannot be listed in REDLINE_TSA_URLS'),
    )
    .max(MAX_AUTHORITIES)
    .default([]),
  caFile: z.string().min(1),
});

/** One deployment stage's settings: `config/<stage>.json`, validated at synth. */
export const StageConfigSchema = z.strictObject({
  stage: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/),
  contactUrl: z.url().default(DEFAULT_CONTACT_URL),
  /** How often the planner looks for due watches. */
  tickMinutes: z.number().int().min(1).max(1440).default(5),
  planLimit: z.number().int().min(1).max(100_000).default(5000),
  capture: z
    .strictObject({
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
    .strictObject({
      /** Move artifacts to S3 Glacier Instant Retrieval after this many days (0: never). */
      infrequentAfterDays: z.number().int().min(0).default(90),
      /** WORM: objects cannot be deleted or overwritten for `days` (COMPLIANCE: not even by root). */
      objectLock: z
        .strictObject({ mode: z.enum(['GOVERNANCE', 'COMPLIANCE']), days: z.number().int().min(1) })
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
  verify: VerifySchema.default({
    schedule: 'rate(1 day)',
    mode: 'sampled',
    sampleFraction: 0.1,
    timeoutMinutes: 15,
    memoryMiB: 1024,
    maxInvocations: 48,
  }),
  tsa: TsaSchema.optional(),
  /** The analysts' desk on AWS (infra/web-stack.ts): viewer, API, archive origin, sign-in. */
  web: z
    .strictObject({
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
        .strictObject({ rate: z.number().min(1).max(10_000), burst: z.number().int().min(1).max(5000) })
        .default({ rate: 50, burst: 100 }),
    })
    .default({ archiveLinkMinutes: 60, sessionMinutes: 60, throttle: { rate: 50, burst: 100 } }),
});
export type StageConfig = z.infer<typeof StageConfigSchema>;

/** The stage config directory: `REDLINE_CONFIG_DIR` (tests synthesize the app with their own), else `config/`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.REDLINE_CONFIG_DIR ? resolve(env.REDLINE_CONFIG_DIR) : DEFAULT_CONFIG_DIR;
}

export function loadStageConfig(stage: string, dir = configDir()): StageConfig {
  const raw = JSON.parse(readFileSync(join(dir, `${stage}.json`), 'utf8'));
  const config = StageConfigSchema.parse({ stage, ...raw });
  if (config.tsa) {
    config.tsa.caFile = isAbsolute(config.tsa.caFile) ? config.tsa.caFile : join(dir, config.tsa.caFile);
    tsaRootsPem(config.tsa.caFile, `${stage}.json tsa.caFile`);
  }
  return config;
}

/** The PEM text of a TSA roots file, checked to hold X.509 certificates; throws naming the file. */
export function tsaRootsPem(path: string, what = 'tsa.caFile'): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new Error(`${what}: cannot read ${path}`, { cause });
  }
  try {
    parsePemCertificates(pem);
  } catch (cause) {
    throw new Error(`${what}: ${path} holds no usable PEM certificates (${(cause as Error).message})`, {
      cause,
    });
  }
  return pem;
}

/**
 * The stage's watch-list file, `config/<stage>.watches.json`, synced on every deploy (checked whole at
 * synth by the stack); undefined when the stage has none.
 */
export function watchListFile(stage: string, dir = configDir()): string | undefined {
  const path = join(dir, `${stage}.watches.json`);
  return existsSync(path) ? path : undefined;
}

/** The TSA roots' file name inside a function's bundle (REDLINE_TSA_CA_FILE, read from the bundle's root). */
export const TSA_ROOTS_FILE = 'tsa-roots.pem';

/**
 * What a function needs for the stage's timestamp authorities: the roots file to ship in its bundle and
 * the environment that names it (all empty when the stage has no `tsa`: timestamps off, tokens untrusted).
 */
export function tsaBundling(config: StageConfig): {
  files: { source: string; name: string }[];
  urls: string;
  caFile: string;
} {
  if (!config.tsa) return { files: [], urls: '', caFile: '' };
  const source = isAbsolute(config.tsa.caFile) ? config.tsa.caFile : join(configDir(), config.tsa.caFile);
  tsaRootsPem(source, `${config.stage}: tsa.caFile`);
  return {
    files: [{ source, name: TSA_ROOTS_FILE }],
    urls: config.tsa.urls.join(','),
    caFile: TSA_ROOTS_FILE,
  };
}
