import type { LaunchOptions } from 'playwright-core';
import { InvariantError } from '../../core/domain/errors.js';
import { type BrowserDir, browserEnv } from './confinement.js';

export type ProcessModel = 'multi' | 'single';

/**
 * Flags in @sparticuz/chromium's defaults that we drop: they weaken the browser's security model (its
 * --disable-features turns off site isolation and would replace Playwright's own list).
 */
export const UNSAFE_FLAGS = [
  '--disable-web-security',
  '--allow-running-insecure-content',
  '--disable-site-isolation-trials',
  '--disable-features',
];

/**
 * @sparticuz/chromium's process-model flags, kept only in the `single` model (Lambda). Elsewhere they
 * cost: --single-process ends the browser with a capture's context, and without the zygote every
 * fresh context's renderer is a full process launch (~15 ms a capture, bench/fidelity.bench.ts).
 */
export const SINGLE_PROCESS_FLAGS = ['--single-process', '--no-zygote'];

/** The flags that turn Chromium's sandbox off; @sparticuz/chromium's defaults carry both. */
export const SANDBOX_OFF_FLAGS = ['--no-sandbox', '--disable-setuid-sandbox'];

const matches = (arg: string, flag: string) => arg === flag || arg.startsWith(`${flag}=`);

export function hardenedArgs(
  defaults: string[],
  proxyUrl: string,
  processModel: ProcessModel = 'multi',
  sandbox = false,
): string[] {
  if (sandbox && processModel === 'single')
    throw new InvariantError(
      'the single-process model cannot run a sandbox (Chromium needs --no-sandbox there)',
    );
  const dropped = [
    ...UNSAFE_FLAGS,
    ...(processModel === 'single' ? [] : SINGLE_PROCESS_FLAGS),
    ...(sandbox ? SANDBOX_OFF_FLAGS : []),
  ];
  const kept = defaults.filter((arg) => !dropped.some((flag) => matches(arg, flag)));
  const required = [
    ...(processModel === 'single' ? SINGLE_PROCESS_FLAGS : []),
    ...(sandbox ? [] : ['--no-sandbox']),
  ];
  for (const flag of required) if (!kept.includes(flag)) kept.push(flag);
  return [
    ...kept,
    `--proxy-server=${proxyUrl}`,
    // Without this Chromium sends loopback traffic around the proxy.
    '--proxy-bypass-list=<-loopback>',
    // Nothing may resolve or connect except through the proxy.
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
    '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
    // QUIC is UDP: it cannot go through the guard's HTTP proxy, so no page may try it.
    '--disable-quic',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ];
}

export interface BrowserLaunch {
  executablePath: string;
  /** @sparticuz/chromium's default args. */
  defaults: string[];
  proxyUrl: string;
  processModel: ProcessModel;
  sandbox: boolean;
  dir: BrowserDir;
  /** The environment to pick the browser's few variables from (process.env). */
  parentEnv: NodeJS.ProcessEnv;
  /** Tests only: base64 SHA-256 SPKI hashes whose certificates Chromium accepts unverified (a test CA's server). */
  acceptSpki?: string[];
}

/** Playwright launch options for one confined browser: hardened flags, its own directory and environment, the sandbox as decided. */
export function launchOptions(launch: BrowserLaunch): LaunchOptions {
  return {
    executablePath: launch.executablePath,
    headless: true,
    args: [
      ...hardenedArgs(launch.defaults, launch.proxyUrl, launch.processModel, launch.sandbox),
      `--disk-cache-dir=${launch.dir.cache}`,
      ...(launch.acceptSpki?.length
        ? [`--ignore-certificate-errors-spki-list=${launch.acceptSpki.join(',')}`]
        : []),
    ],
    // Replaces the environment: Playwright would otherwise pass all of process.env.
    env: browserEnv(launch.parentEnv, launch.dir),
    // Playwright adds --no-sandbox unless this is true.
    chromiumSandbox: launch.sandbox,
    artifactsDir: launch.dir.artifacts,
  };
}

/**
 * Whether a launch failed because the new browser died while starting (Playwright: "Target page, context
 * or browser has been closed", "Browser closed"), not because it could not be started at all. Seen now
 * and then in the single-process model, where each capture launches a browser of its own.
 */
export function diedStarting(error: unknown): boolean {
  return /has been closed|browser closed/i.test(error instanceof Error ? error.message : String(error));
}

/** Launches, and launches once more if the first browser died while starting; any other failure is final. */
export async function launchRetryingStartupCrash<T>(launch: () => Promise<T>): Promise<T> {
  try {
    return await launch();
  } catch (error) {
    if (!diedStarting(error)) throw error;
    return launch();
  }
}
