import { resolve } from 'node:path';
import { z } from 'zod';
import { TsaEnvSchema } from '../adapters/tsa/config.js';
import { DEFAULT_POLITENESS } from '../core/capture/politeness.js';
import { DEFAULT_CAPTURE_OPTIONS } from '../core/domain/options.js';
import { DEFAULT_CONTACT_URL, userAgentFor } from '../core/domain/user-agent.js';

const LocalEnvSchema = z.object({
  REDLINE_HOME: z.string().min(1).optional(),
  REDLINE_ALLOW_PRIVATE_NETWORK: z.enum(['0', '1']).optional(),
  REDLINE_CONTACT_URL: z.url().optional(),
  REDLINE_MIN_HOST_DELAY_MS: z.coerce.number().int().min(0).max(600_000).optional(),
  /** A whole capture at most (CaptureOptions.time.captureMs). */
  REDLINE_CAPTURE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).optional(),
  /** PEM (PKCS#8) of an ECDSA P-256 private key: `redline export --sign` signs the WACZ with it. */
  REDLINE_WACZ_SIGNING_KEY_FILE: z.string().min(1).optional(),
  /** Where `redline serve` answers: notification links (diffUrl) point at its diff page. */
  REDLINE_VIEWER_URL: z.url({ protocol: /^https?$/ }).optional(),
});

/** `redline serve`'s default port, and so the default viewer URL. */
export const DEFAULT_SERVE_PORT = 8080;
export const DEFAULT_VIEWER_URL = `http://127.0.0.1:${DEFAULT_SERVE_PORT}`;

export interface LocalConfig {
  dataDir: string;
  allowPrivateNetwork: boolean;
  userAgent: string;
  /** Least time between two requests to one host (robots.txt Crawl-delay can raise it). */
  minHostDelayMs: number;
  /** A whole capture at most, from its start to its record. */
  captureTimeoutMs: number;
  /** The WACZ signing key's file (`redline export --sign`), resolved; absent when not configured. */
  waczSigningKeyFile?: string;
  /** The local server's URL (REDLINE_VIEWER_URL, default http://127.0.0.1:8080): notification links point there. */
  viewerUrl: string;
  /**
   * Timestamp authorities (REDLINE_TSA_URLS, comma-separated) and the PEM roots their tokens must chain to
   * (REDLINE_TSA_CA_FILE, required with URLs); checked here, the file read when the data dir is opened.
   */
  tsa: { REDLINE_TSA_URLS?: string; REDLINE_TSA_CA_FILE?: string; REDLINE_TSA_TIMEOUT_MS?: string };
}

/** Local-mode configuration from flags and the environment, validated. */
export function localConfig(env: NodeJS.ProcessEnv, flags: { dataDir?: string }): LocalConfig {
  const parsed = LocalEnvSchema.parse({
    REDLINE_HOME: env.REDLINE_HOME || undefined,
    REDLINE_ALLOW_PRIVATE_NETWORK: env.REDLINE_ALLOW_PRIVATE_NETWORK || undefined,
    REDLINE_CONTACT_URL: env.REDLINE_CONTACT_URL || undefined,
    REDLINE_MIN_HOST_DELAY_MS: env.REDLINE_MIN_HOST_DELAY_MS || undefined,
    REDLINE_CAPTURE_TIMEOUT_MS: env.REDLINE_CAPTURE_TIMEOUT_MS || undefined,
    REDLINE_WACZ_SIGNING_KEY_FILE: env.REDLINE_WACZ_SIGNING_KEY_FILE || undefined,
    REDLINE_VIEWER_URL: env.REDLINE_VIEWER_URL || undefined,
  });
  const tsa = {
    ...(env.REDLINE_TSA_URLS ? { REDLINE_TSA_URLS: env.REDLINE_TSA_URLS } : {}),
    ...(env.REDLINE_TSA_CA_FILE ? { REDLINE_TSA_CA_FILE: env.REDLINE_TSA_CA_FILE } : {}),
    ...(env.REDLINE_TSA_TIMEOUT_MS ? { REDLINE_TSA_TIMEOUT_MS: env.REDLINE_TSA_TIMEOUT_MS } : {}),
  };
  TsaEnvSchema.parse(tsa);
  return {
    dataDir: resolve(flags.dataDir ?? parsed.REDLINE_HOME ?? '.redline'),
    allowPrivateNetwork: parsed.REDLINE_ALLOW_PRIVATE_NETWORK === '1',
    userAgent: userAgentFor(parsed.REDLINE_CONTACT_URL ?? DEFAULT_CONTACT_URL),
    minHostDelayMs: parsed.REDLINE_MIN_HOST_DELAY_MS ?? DEFAULT_POLITENESS.minDelayMs,
    captureTimeoutMs: parsed.REDLINE_CAPTURE_TIMEOUT_MS ?? DEFAULT_CAPTURE_OPTIONS.time.captureMs,
    ...(parsed.REDLINE_WACZ_SIGNING_KEY_FILE
      ? { waczSigningKeyFile: resolve(parsed.REDLINE_WACZ_SIGNING_KEY_FILE) }
      : {}),
    viewerUrl: (parsed.REDLINE_VIEWER_URL ?? DEFAULT_VIEWER_URL).replace(/\/+$/, ''),
    tsa,
  };
}
