import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { chmod, chown, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import sparticuz from '@sparticuz/chromium';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchOptions } from '../../functions/adapters/chromium/browser-launch.js';
import { ChromiumRenderer } from '../../functions/adapters/chromium/chromium-renderer.js';
import {
  createBrowserDir,
  decideSandbox,
  isSandboxFailure,
  readSandboxFacts,
  removeBrowserDir,
} from '../../functions/adapters/chromium/confinement.js';
import { chromiumVersions, major } from '../support/chromium-versions.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';

/**
 * The browser's confinement, checked on real Chromium processes through /proc: what environment they
 * hold, where their files live and when they go, and whether the sandbox is on (and works) by the rule.
 */

// Secrets the test process holds, as a Lambda function holds its credentials.
const SECRETS = {
  AWS_ACCESS_KEY_ID: 'AKIACONFINEMENTTEST',
  AWS_SECRET_ACCESS_KEY: 'confinement-test-secret-access-key',
  AWS_SESSION_TOKEN: 'confinement-test-session-token',
  REDLINE_TEST_SECRET: 'confinement-test-redline-secret',
};
const saved: Record<string, string | undefined> = {};

// ---- /proc helpers (Linux). Every loop is capped: /proc is outside data. ----
const MAX_PROCS = 100_000;

function pids(): number[] {
  return readdirSync('/proc')
    .slice(0, MAX_PROCS)
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}
/** A process's file under /proc, or undefined when it has gone meanwhile. */
function procFile(pid: number, name: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8');
  } catch {
    return undefined;
  }
}
const cmdline = (pid: number) => (procFile(pid, 'cmdline') ?? '').split('\0').filter(Boolean);
function environ(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of (procFile(pid, 'environ') ?? '').split('\0').filter(Boolean)) {
    const at = entry.indexOf('=');
    env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}
function parentOf(pid: number): number | undefined {
  const stat = procFile(pid, 'stat');
  if (!stat) return undefined;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}
/** The process and all its descendants. */
function tree(root: number): number[] {
  const all = pids().map((pid) => [pid, parentOf(pid)] as const);
  const found = [root];
  for (let i = 0; i < found.length && i < MAX_PROCS; i++)
    for (const [pid, parent] of all) if (parent === found[i] && !found.includes(pid)) found.push(pid);
  return found.filter((pid) => procFile(pid, 'stat') !== undefined);
}
/**
 * The browser this test process launched with this argument: a child of ours (Playwright spawns it
 * directly). Its own children may carry forwarded switches too until they rewrite their titles.
 */
function processWithArg(arg: string): number {
  const matching = pids().filter((pid) => parentOf(pid) === process.pid && cmdline(pid).includes(arg));
  expect(matching, `one child process with ${arg}`).toHaveLength(1);
  return matching[0]!;
}
const statusField = (pid: number, field: string) =>
  new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(procFile(pid, 'status') ?? '')?.[1];
const namespace = (pid: number | 'self', kind: string) => readlinkSync(`/proc/${pid}/ns/${kind}`);
const mode = (path: string) => statSync(path).mode & 0o777;

async function until(what: string, check: () => boolean, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// ---- a page whose image the server holds, so the capture stays in progress while we look ----
let server: FixtureServer;
let held: { requested: Promise<void>; release: () => void };
function holdNext() {
  let requested!: () => void;
  let release!: () => void;
  const heldRelease = new Promise<void>((resolve) => {
    release = resolve;
  });
  held = { requested: new Promise<void>((resolve) => (requested = resolve)), release };
  return { requested, heldRelease };
}
let pending = holdNext();

beforeAll(async () => {
  for (const [name, value] of Object.entries(SECRETS)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  server = await startFixtureServer({
    '/story': (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>held</title><p id="p">Held story.</p><img src="/held.png">'),
    '/held.png': (_req, res) => {
      const { requested, heldRelease } = pending;
      requested();
      void heldRelease.then(() => res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(8)));
    },
  });
});
afterAll(async () => {
  held.release();
  await server.close();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** Renders the held page and, while the capture waits for its image, looks at the browser's processes. */
async function duringCapture<T>(renderer: ChromiumRenderer, look: () => T) {
  pending = holdNext();
  const rendering = renderer.render(`${server.url}/story`);
  try {
    await Promise.race([
      held.requested,
      rendering.then(() => Promise.reject(new Error('render ended early'))),
    ]);
    const seen = look();
    held.release();
    return { seen, rendered: await rendering };
  } finally {
    held.release();
    await rendering.catch(() => undefined);
  }
}

/** Renders the page with nothing held. */
function renderFreely(renderer: ChromiumRenderer) {
  pending = holdNext();
  held.release();
  return renderer.render(`${server.url}/story`);
}

function lookAtBrowser(renderer: ChromiumRenderer) {
  expect(renderer.browserDirs).toHaveLength(1);
  const root = renderer.browserDirs[0]!;
  const browser = processWithArg(`--disk-cache-dir=${join(root, 'cache')}`);
  const profile = cmdline(browser)
    .find((arg) => arg.startsWith('--user-data-dir='))!
    .slice('--user-data-dir='.length);
  const processes = tree(browser).map(seeProcess);
  return { root, browser, profile, processes, rootMode: mode(root), profileMode: mode(profile) };
}

interface Seen {
  pid: number;
  args: string;
  env: Record<string, string>;
  raw: string;
}
const seeProcess = (pid: number): Seen => ({
  pid,
  // Zygote-forked processes rewrite their command line as one string (setproctitle).
  args: cmdline(pid).join(' '),
  env: environ(pid),
  raw: procFile(pid, 'environ') ?? '',
});

/**
 * The browser process (exec'd by Playwright with the environment we gave it) must hold no secret; every
 * other Chromium process is started by it or forked from its zygotes, with its environment. Those
 * rewrite their command line over the memory /proc/<pid>/environ shows (Chromium's setproctitle), so
 * their environ is checked only for the secret values themselves.
 */
function expectNoSecrets(processes: Seen[]) {
  const [browser] = processes;
  expect(browser?.env.HOME, 'the browser process environment is readable').toBeDefined();
  for (const { pid, args, env, raw } of processes) {
    const where = `${pid} ${args.slice(0, 120)}`;
    for (const name of Object.keys(env)) expect(name, where).not.toMatch(/^(AWS_|REDLINE_)/);
    for (const secret of Object.values(SECRETS)) expect(raw, where).not.toContain(secret);
  }
}

describe('Chromium confined (real @sparticuz/chromium, read through /proc)', () => {
  it("control: a browser launched Playwright's default way holds the parent's secrets, and the check sees them", async () => {
    const browser = await chromium.launch({
      executablePath: await sparticuz.executablePath(),
      args: [
        '--no-sandbox',
        '--disable-quic',
        `--disk-cache-dir=/nonexistent/redline-confinement-control-${process.pid}`,
      ],
    });
    try {
      const control = seeProcess(
        processWithArg(`--disk-cache-dir=/nonexistent/redline-confinement-control-${process.pid}`),
      );
      for (const [name, value] of Object.entries(SECRETS)) expect(control.env[name]).toBe(value);
      expect(() => expectNoSecrets([control])).toThrow();
    } finally {
      await browser.close();
    }
  });

  describe('multi-process model (local, CI)', () => {
    let renderer: ChromiumRenderer;
    beforeAll(() => {
      renderer = new ChromiumRenderer({
        policy: { allowPrivateNetwork: true },
        userAgent: 'Redline-test',
        screenshot: false,
      });
    });
    afterAll(() => renderer.close());

    it("keeps AWS credentials and Redline's secrets out of every browser process", async () => {
      const { seen, rendered } = await duringCapture(renderer, () => lookAtBrowser(renderer));
      expect(rendered.html).toContain('Held story.');
      // The browser, its zygotes, the network service and the page's renderer all hold the short environment.
      expect(seen.processes.some((p) => p.args.includes('--type=renderer'))).toBe(true);
      expect(seen.processes.some((p) => p.args.includes('NetworkService'))).toBe(true);
      expectNoSecrets(seen.processes);
      const browserEnv = seen.processes[0]!.env;
      expect(browserEnv.HOME).toBe(join(seen.root, 'home'));
      expect(browserEnv.TMPDIR).toBe(join(seen.root, 'tmp'));
    });

    it('gives the browser a private 0700 directory, and Playwright a private profile, both gone on close', async () => {
      const { seen } = await duringCapture(renderer, () => lookAtBrowser(renderer));
      expect(basename(seen.root)).toMatch(/^redline-chromium-/);
      expect(seen.rootMode).toBe(0o700);
      expect(seen.profileMode).toBe(0o700);
      for (const sub of ['home', 'tmp', 'artifacts', 'cache']) expect(mode(join(seen.root, sub))).toBe(0o700);
      // The browser wrote its HTTP cache into its own directory.
      expect(readdirSync(join(seen.root, 'cache')).length).toBeGreaterThan(0);
      // The multi-process browser lives on between captures...
      expect(existsSync(seen.root)).toBe(true);
      await renderer.close();
      // ...and takes both directories with it when closed.
      expect(existsSync(seen.root)).toBe(false);
      expect(existsSync(seen.profile)).toBe(false);
      expect(renderer.browserDirs).toEqual([]);
    });

    it('decides the sandbox by the rule for this machine, and a sandbox it turns on confines the renderers', async () => {
      const { seen } = await duringCapture(renderer, () => lookAtBrowser(renderer));
      const decision = decideSandbox(readSandboxFacts('multi', await sparticuz.executablePath()));
      // The rule's answer, unless it said on and Chromium then found no usable sandbox (a container's seccomp).
      const fellBack = decision.sandbox && /could not start its sandbox/.test(renderer.sandbox?.reason ?? '');
      if (fellBack) expect(renderer.sandbox?.sandbox).toBe(false);
      else expect(renderer.sandbox).toEqual(decision);
      console.info(`[confinement] sandbox here: ${JSON.stringify(renderer.sandbox)}`);
      const browserArgs = cmdline(seen.browser);
      expect(browserArgs.includes('--no-sandbox')).toBe(!renderer.sandbox!.sandbox);
      if (renderer.sandbox!.sandbox) {
        const renderers = seen.processes.filter((p) => p.args.includes('--type=renderer'));
        expect(renderers.length).toBeGreaterThan(0);
        for (const { pid } of renderers) expect(statusField(pid, 'Seccomp'), 'seccomp filter mode').toBe('2');
      }
    });
  });

  it('single-process model (Lambda): the same environment, and a directory per capture, gone after it', async () => {
    const renderer = new ChromiumRenderer({
      policy: { allowPrivateNetwork: true },
      userAgent: 'Redline-test',
      processModel: 'single',
      screenshot: false,
    });
    try {
      const { seen, rendered } = await duringCapture(renderer, () => lookAtBrowser(renderer));
      expect(rendered.html).toContain('Held story.');
      expectNoSecrets(seen.processes);
      expect(seen.processes[0]!.args).toContain('--single-process');
      expect(seen.processes[0]!.args).toContain('--no-sandbox');
      expect(seen.rootMode).toBe(0o700);
      expect(renderer.sandbox).toMatchObject({
        sandbox: false,
        reason: expect.stringMatching(/single-process/),
      });
      // The capture's browser is closed and its directories removed before render returns.
      expect(existsSync(seen.root)).toBe(false);
      expect(existsSync(seen.profile)).toBe(false);
      expect(renderer.browserDirs).toEqual([]);
    } finally {
      await renderer.close();
    }
  });

  it('a browser that crashes leaves no directory behind, and the next capture gets a new browser', async () => {
    const renderer = new ChromiumRenderer({
      policy: { allowPrivateNetwork: true },
      userAgent: 'Redline-test',
      screenshot: false,
    });
    try {
      const { seen } = await duringCapture(renderer, () => lookAtBrowser(renderer));
      process.kill(seen.browser, 'SIGKILL');
      await until('the crashed browser directory to go', () => !existsSync(seen.root));
      await until('the crashed browser to be forgotten', () => renderer.browserDirs.length === 0);
      const { seen: next, rendered } = await duringCapture(renderer, () => lookAtBrowser(renderer));
      expect(rendered.html).toContain('Held story.');
      expect(next.root).not.toBe(seen.root);
    } finally {
      await renderer.close();
    }
  });

  it("runs the Chromium that playwright-core's protocol is built for", async () => {
    const dir = await createBrowserDir();
    const browser = await chromium.launch(
      launchOptions({
        executablePath: await sparticuz.executablePath(),
        defaults: sparticuz.args,
        proxyUrl: 'http://127.0.0.1:9',
        processModel: 'multi',
        sandbox: false,
        dir,
        parentEnv: process.env,
      }),
    );
    try {
      const { playwright, sparticuz: packaged } = chromiumVersions();
      expect(major(browser.version())).toBe(major(playwright!));
      expect(major(browser.version())).toBe(major(packaged));
    } finally {
      await browser.close();
      await removeBrowserDir(dir);
    }
  });

  describe('as root', () => {
    const root = process.geteuid?.() === 0;

    it('Chromium refuses a sandbox: a renderer told to insist on one fails to launch', async ({ skip }) => {
      if (!root) skip('not running as root');
      const insisting = new ChromiumRenderer({
        policy: { allowPrivateNetwork: true },
        userAgent: 'Redline-test',
        sandbox: true,
      });
      try {
        const error = await renderFreely(insisting).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isSandboxFailure(error)).toBe(true);
        expect(insisting.browserDirs).toEqual([]);
      } finally {
        await insisting.close();
      }
    });

    it('when the rule says on but Chromium finds no usable sandbox, it launches without one and says why', async ({
      skip,
    }) => {
      if (!root) skip('not running as root');
      const executable = await sparticuz.executablePath();
      // Facts that say "a user with user namespaces": the rule turns the sandbox on, Chromium (as root) refuses.
      const renderer = new ChromiumRenderer({
        policy: { allowPrivateNetwork: true },
        userAgent: 'Redline-test',
        screenshot: false,
        sandboxFacts: { ...readSandboxFacts('multi', executable), euid: 1000, maxUserNamespaces: 1000 },
      });
      try {
        const rendered = await renderFreely(renderer).catch((e: unknown) => e);
        expect(rendered).toMatchObject({ html: expect.stringContaining('Held story.') });
        expect(renderer.sandbox).toMatchObject({
          sandbox: false,
          reason: expect.stringMatching(/could not start its sandbox/),
        });
      } finally {
        await renderer.close();
      }
    });
  });
});

// ---- The sandbox, proven on this machine: Chromium as an unprivileged user, launched with our flags and environment ----

/** The uid and gid of `nobody` from /etc/passwd, if there is one. */
function nobody(): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .slice(0, 10_000)
    .find((l) => l.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
}

describe('the sandbox where the rule turns it on', () => {
  let scratch: string | undefined;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('confines each renderer: seccomp-bpf and its own user, PID and network namespaces', async ({ skip }) => {
    const user = nobody();
    const executable = await sparticuz.executablePath();
    if (process.geteuid?.() !== 0 || !user) {
      return skip('needs root (to start Chromium as nobody) and a nobody user');
    }
    const decision = decideSandbox({ ...readSandboxFacts('multi', executable), euid: user.uid });
    if (!decision.sandbox) {
      return skip(`the rule keeps the sandbox off for nobody here: ${decision.reason}`);
    }
    // Prepare: @sparticuz/chromium unpacks the browser 0700 for root, so nobody gets a copy (with the
    // graphics libraries it loads from beside itself) in a directory it can enter.
    scratch = await mkdtemp(join(tmpdir(), 'redline-sandbox-'));
    await chmod(scratch, 0o755);
    const copy = join(scratch, 'chromium');
    await copyFile(executable, copy);
    for (const name of readdirSync(dirname(executable)).slice(0, 1_000))
      if (/^lib.*\.so(\.\d+)*$|^vk_swiftshader_icd\.json$/.test(name))
        await copyFile(join(dirname(executable), name), join(scratch, name));
    await chmod(copy, 0o755);
    const dir = await createBrowserDir(scratch);
    for (const path of [dir.root, dir.home, dir.tmp, dir.artifacts, dir.cache])
      await chown(path, user.uid, user.gid);
    const options = launchOptions({
      executablePath: copy,
      defaults: sparticuz.args,
      proxyUrl: 'http://127.0.0.1:9',
      processModel: 'multi',
      sandbox: true,
      dir,
      parentEnv: process.env,
    });
    expect(options.args).not.toContain('--no-sandbox');

    // Act: start it as nobody, with exactly our flags and environment, and drive it over CDP.
    child = spawn(
      copy,
      [
        ...options.args!,
        '--headless',
        '--remote-debugging-port=0',
        `--user-data-dir=${join(dir.root, 'profile')}`,
        'about:blank',
      ],
      {
        uid: user.uid,
        gid: user.gid,
        env: options.env as NodeJS.ProcessEnv,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const started = child;
    const endpoint = await new Promise<string>((resolve, reject) => {
      let log = '';
      started.stderr!.on('data', (chunk: Buffer) => {
        log = (log + chunk.toString()).slice(-20_000);
        const match = /DevTools listening on (ws:\/\/\S+)/.exec(log);
        if (match) resolve(match[1]!);
      });
      started.once('exit', (code) => reject(new Error(`Chromium as nobody exited (${code}):\n${log}`)));
    });
    const browser = await chromium.connectOverCDP(endpoint);
    try {
      const page = await (await browser.newContext()).newPage();
      await page.setContent(
        '<p id="p">static</p><script>document.getElementById("p").textContent = "ran";</script>',
      );
      expect(await page.textContent('#p')).toBe('ran');
      expect(major(browser.version())).toBe(major(chromiumVersions().sparticuz));

      // Assess: the page's renderer is confined; every process runs as nobody without our secrets.
      const processes = tree(started.pid!).map(seeProcess);
      expectNoSecrets(processes);
      for (const { pid } of processes)
        expect(statusField(pid, 'Uid')?.split(/\s+/)[1]).toBe(String(user.uid));
      const renderers = processes.filter((p) => p.args.includes('--type=renderer'));
      expect(renderers.length).toBeGreaterThan(0);
      for (const { pid } of renderers) {
        expect(statusField(pid, 'Seccomp'), 'seccomp filter mode').toBe('2');
        for (const kind of ['user', 'pid', 'net'])
          expect(namespace(pid, kind), kind).not.toBe(namespace('self', kind));
      }
      console.info(
        `[confinement] sandbox as nobody: ${renderers.length} renderer(s) under seccomp-bpf in their own user/pid/net namespaces`,
      );
    } finally {
      await browser.close().catch(() => undefined);
    }
  });
});
