import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type * as pkijs from 'pkijs';
import { z } from 'zod';
import { TimestampConfigError } from '../../core/domain/errors.js';
import { MAX_AUTHORITIES } from '../../core/proof/stamp-all.js';
import { parsePemCertificates } from '../../core/proof/timestamp.js';
import { HTTP_TSA_DEFAULTS, HttpTimestampAuthority } from './http-tsa.js';

const TsaUrl = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }));

/** The environment a function or the CLI reads to timestamp captures; no URLs means timestamps are off. */
export const TsaEnvSchema = z
  .object({
    REDLINE_TSA_URLS: z
      .string()
      .optional()
      .transform((value) =>
        (value ?? '')
          .split(',')
          .map((url) => url.trim())
          .filter((url) => url.length > 0),
      )
      .pipe(z.array(TsaUrl).max(MAX_AUTHORITIES, `at most ${MAX_AUTHORITIES} timestamp authorities`)),
    REDLINE_TSA_CA_FILE: z.string().trim().min(1).optional(),
    REDLINE_TSA_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).optional(),
  })
  .refine((env) => env.REDLINE_TSA_URLS.length === 0 || env.REDLINE_TSA_CA_FILE !== undefined, {
    message: 'REDLINE_TSA_CA_FILE (PEM roots) is required when REDLINE_TSA_URLS is set',
    path: ['REDLINE_TSA_CA_FILE'],
  });

export interface TsaConfig {
  urls: string[];
  roots: pkijs.Certificate[];
  timeoutMs: number;
}

/**
 * Reads the TSA settings: `REDLINE_TSA_URLS` (comma-separated http(s) URLs) and `REDLINE_TSA_CA_FILE`
 * (PEM file of the roots their signer certificates must chain to). Throws TimestampConfigError.
 */
export async function tsaConfigFromEnv(
  env: Record<string, string | undefined>,
  readFile: (path: string) => Promise<string>,
): Promise<TsaConfig> {
  const parsed = TsaEnvSchema.safeParse(env);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`).join('; ');
    throw new TimestampConfigError(`invalid timestamp authority settings: ${detail}`, {
      cause: parsed.error,
    });
  }
  const { REDLINE_TSA_URLS: urls, REDLINE_TSA_CA_FILE: caFile, REDLINE_TSA_TIMEOUT_MS } = parsed.data;
  const timeoutMs = REDLINE_TSA_TIMEOUT_MS ?? HTTP_TSA_DEFAULTS.timeoutMs;
  if (urls.length === 0) return { urls, roots: [], timeoutMs };
  let pem: string;
  try {
    pem = await readFile(caFile!);
  } catch (error) {
    throw new TimestampConfigError(`cannot read REDLINE_TSA_CA_FILE ${caFile}`, { cause: error });
  }
  return { urls, roots: rootsIn(pem, caFile!), timeoutMs };
}

/** The certificates of a roots file's text; none usable is a TimestampConfigError naming the file. */
function rootsIn(pem: string, path: string): pkijs.Certificate[] {
  try {
    return parsePemCertificates(pem);
  } catch (error) {
    throw new TimestampConfigError(`REDLINE_TSA_CA_FILE ${path} holds no usable certificates`, {
      cause: error,
    });
  }
}

/** One HTTP authority per configured URL, all trusting the configured roots. */
export function authoritiesFromConfig(config: TsaConfig): HttpTimestampAuthority[] {
  return config.urls.map(
    (url) => new HttpTimestampAuthority({ url, roots: config.roots, timeoutMs: config.timeoutMs }),
  );
}

/**
 * REDLINE_TSA_CA_FILE read and checked: its PEM text (copied into evidence bundles as tsa-ca.pem) and
 * the roots in it. A relative path is read from LAMBDA_TASK_ROOT when set (the file ships in a function's
 * bundle), else from the working directory. Throws TimestampConfigError.
 */
export function readTsaRoots(
  caFile: string,
  env: NodeJS.ProcessEnv = process.env,
): { pem: string; roots: pkijs.Certificate[] } {
  const path = resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), caFile);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TimestampConfigError(`cannot read REDLINE_TSA_CA_FILE ${path}`, { cause: error });
  }
  return { pem, roots: rootsIn(pem, path) };
}
