import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * What the browser process may know of the world: a short environment, a private directory of its own,
 * and Chromium's sandbox wherever it can run.
 *
 * The environment. Playwright hands the browser the whole of `process.env` unless told otherwise; in
 * Lambda that holds the function's AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN) and our own configuration. A page that compromises the browser could read them
 * from /proc/self/environ. The browser gets only the variables below, and HOME and TMPDIR pointing
 * into its own directory.
 */
export const BROWSER_ENV_ALLOW_LIST = [
  // Where helper programs are looked up; Chromium barely uses it headless, but it is no secret.
  'PATH',
  // Locale and time zone: pages see them (Intl, Date), and Lambda sets TZ.
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'TZ',
  // @sparticuz/chromium's Lambda path (Amazon Linux 2023) sets these when the module loads: fonts in
  // /tmp/fonts and its own shared libraries in /tmp/al2023/lib. Without them Chromium has no fonts or
  // fails to load. Elsewhere they are usually unset and the system's fontconfig and libraries serve.
  'FONTCONFIG_PATH',
  'FONTCONFIG_FILE',
  'LD_LIBRARY_PATH',
] as const;

/** A browser's own directory: 0700, made fresh for each browser, removed when the browser ends. */
export interface BrowserDir {
  root: string;
  /** The browser's HOME (Chromium writes ~/.config, ~/.cache, ~/.pki under it). */
  home: string;
  /** The browser's TMPDIR. */
  tmp: string;
  /** Playwright's artifacts (downloads, traces); otherwise a directory of Playwright's own in os.tmpdir(). */
  artifacts: string;
  /** Chromium's HTTP disk cache. */
  cache: string;
}

export const BROWSER_DIR_PREFIX = 'redline-chromium-';

/**
 * Directories of browsers not yet closed. A process that exits without closing its renderer (a crash in
 * Node, a SIGTERM Playwright turns into exit) still removes them, as Playwright does its own profile dirs.
 */
const live = new Set<string>();
let exitHook = false;
function removeLiveOnExit() {
  for (const root of live) {
    try {
      rmSync(root, { recursive: true, force: true });
    } catch {
      // exiting anyway: nothing more to do
    }
  }
}

/**
 * Makes a browser's directory. mkdtemp creates it 0700 and owned by us: other users can neither read what
 * the browser writes (cached page data, cookies) nor plant files in it. Playwright's `launch` keeps the
 * profile (--user-data-dir) in a directory of its own, also made by mkdtemp (0700) and removed when the
 * browser closes; it does not accept --user-data-dir in `args` (only launchPersistentContext takes one, and
 * that would share one context, cookies included, across captures).
 */
export async function createBrowserDir(parent: string = tmpdir()): Promise<BrowserDir> {
  const root = await mkdtemp(join(parent, BROWSER_DIR_PREFIX));
  live.add(root);
  if (!exitHook) {
    process.once('exit', removeLiveOnExit);
    exitHook = true;
  }
  const dir: BrowserDir = {
    root,
    home: join(root, 'home'),
    tmp: join(root, 'tmp'),
    artifacts: join(root, 'artifacts'),
    cache: join(root, 'cache'),
  };
  try {
    for (const sub of [dir.home, dir.tmp, dir.artifacts, dir.cache]) await mkdir(sub, { mode: 0o700 });
  } catch (error) {
    await removeBrowserDir(dir);
    throw error;
  }
  return dir;
}

export async function removeBrowserDir(dir: BrowserDir): Promise<void> {
  await rm(dir.root, { recursive: true, force: true, maxRetries: 3 });
  live.delete(dir.root);
}

/** The browser's whole environment: the allow-listed variables the parent has, HOME and TMPDIR in its own directory. */
export function browserEnv(parent: NodeJS.ProcessEnv, dir: BrowserDir): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of BROWSER_ENV_ALLOW_LIST) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  env.HOME = dir.home;
  env.TMPDIR = dir.tmp;
  return env;
}

/**
 * Chromium's sandbox puts each renderer (the process that runs a page's JavaScript) in its own user,
 * PID and network namespaces under a seccomp-bpf filter, so a compromised renderer can neither see the
 * file system nor open sockets. It needs unprivileged user namespaces, or a setuid-root `chrome-sandbox`
 * helper beside the executable (@sparticuz/chromium ships none).
 *
 * The rule, first match wins:
 * 1. `single` process model: off. The renderer runs inside the browser process, so there is no separate
 *    process to confine, and Chromium requires --no-sandbox with --no-zygote.
 * 2. In AWS Lambda: off. Lambda's micro-VMs do not let functions create user namespaces (writing the new
 *    namespace's uid_map fails; aws/containers-roadmap#2102, aws/aws-lambda-base-images#143), and no
 *    setuid-root helper can exist there (the function is not root and its files are not root-owned
 *    setuid). Chromium aborts with "No usable sandbox!". (Lambda also needs `single`; rule 1 applies
 *    first there.)
 * 3. Running as root: off. Chromium refuses to start a sandboxed browser as root ("Running as root
 *    without --no-sandbox is not supported", crbug.com/638180). Playwright has no option to launch the
 *    browser as another user.
 * 4. Unprivileged user namespaces available: on. Available means /proc/sys/user/max_user_namespaces > 0,
 *    /proc/sys/kernel/unprivileged_userns_clone (Debian's older kernels) not 0, and
 *    /proc/sys/kernel/apparmor_restrict_unprivileged_userns (Ubuntu 23.10+, GitHub's ubuntu-24.04
 *    runners) not 1: AppArmor then strips the namespace of its capabilities unless a profile names the
 *    binary, and none names /tmp/chromium.
 * 5. A setuid-root chrome-sandbox beside the executable: on (Chromium's setuid sandbox).
 * 6. Otherwise off.
 * A container's seccomp profile can still forbid namespaces the sysctls allow; the renderer then finds
 * out at launch ("No usable sandbox!") and launches once more without the sandbox, saying why.
 */
export interface SandboxFacts {
  processModel: 'multi' | 'single';
  /** AWS_LAMBDA_FUNCTION_NAME is set. */
  lambda: boolean;
  /** Effective uid; undefined where the platform has none. */
  euid: number | undefined;
  /** /proc/sys/user/max_user_namespaces; undefined when absent (not Linux, or a kernel before 4.9). */
  maxUserNamespaces: number | undefined;
  /** /proc/sys/kernel/unprivileged_userns_clone; undefined when absent (a kernel without Debian's patch). */
  unprivilegedUsernsClone: number | undefined;
  /** /proc/sys/kernel/apparmor_restrict_unprivileged_userns; undefined when absent. */
  apparmorRestrictUnprivilegedUserns: number | undefined;
  /** A setuid-root `chrome-sandbox` beside the Chromium executable. */
  setuidHelper: boolean;
}

export interface SandboxDecision {
  sandbox: boolean;
  reason: string;
}

export function userNamespacesAvailable(facts: SandboxFacts): boolean {
  return (
    facts.maxUserNamespaces !== undefined &&
    facts.maxUserNamespaces > 0 &&
    facts.unprivilegedUsernsClone !== 0 &&
    facts.apparmorRestrictUnprivilegedUserns !== 1
  );
}

export function decideSandbox(facts: SandboxFacts): SandboxDecision {
  if (facts.processModel === 'single')
    return { sandbox: false, reason: 'single-process model: the renderer runs inside the browser process' };
  if (facts.lambda)
    return { sandbox: false, reason: 'AWS Lambda: no user namespaces and no setuid helper there' };
  if (facts.euid === 0)
    return { sandbox: false, reason: 'running as root: Chromium refuses a sandbox as root' };
  if (userNamespacesAvailable(facts)) return { sandbox: true, reason: 'user-namespace sandbox' };
  if (facts.setuidHelper) return { sandbox: true, reason: 'setuid sandbox (chrome-sandbox helper)' };
  return {
    sandbox: false,
    reason: 'unprivileged user namespaces are unavailable and there is no setuid chrome-sandbox helper',
  };
}

/** A number from a /proc/sys file, or undefined when the file is absent or unreadable. */
export function readSysctl(path: string): number | undefined {
  try {
    const value = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isNaN(value) ? undefined : value;
  } catch {
    return undefined;
  }
}

/** Whether `chrome-sandbox` beside the executable is owned by root and setuid, as Chromium's setuid sandbox needs. */
export function hasSetuidHelper(executablePath: string): boolean {
  const helper = join(dirname(executablePath), 'chrome-sandbox');
  if (!existsSync(helper)) return false;
  const info = statSync(helper);
  return info.isFile() && info.uid === 0 && (info.mode & 0o4000) !== 0;
}

/** The facts of this process and machine. */
export function readSandboxFacts(
  processModel: 'multi' | 'single',
  executablePath: string,
  env: NodeJS.ProcessEnv = process.env,
): SandboxFacts {
  return {
    processModel,
    lambda: Boolean(env.AWS_LAMBDA_FUNCTION_NAME),
    euid: process.geteuid?.(),
    maxUserNamespaces: readSysctl('/proc/sys/user/max_user_namespaces'),
    unprivilegedUsernsClone: readSysctl('/proc/sys/kernel/unprivileged_userns_clone'),
    apparmorRestrictUnprivilegedUserns: readSysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
    setuidHelper: hasSetuidHelper(executablePath),
  };
}

/** Chromium's and Playwright's words when the sandbox could not start. */
export function isSandboxFailure(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /No usable sandbox|Chromium sandboxing failed|crbug\.com\/638180|crbug\.com\/357670/.test(message);
}
