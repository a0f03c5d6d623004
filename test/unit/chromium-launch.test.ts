import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sparticuz from '@sparticuz/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  diedStarting,
  hardenedArgs,
  launchOptions,
  launchRetryingStartupCrash,
  SANDBOX_OFF_FLAGS,
  SINGLE_PROCESS_FLAGS,
  UNSAFE_FLAGS,
} from '../../functions/adapters/chromium/browser-launch.js';
import {
  BROWSER_ENV_ALLOW_LIST,
  type BrowserDir,
  browserEnv,
  createBrowserDir,
  decideSandbox,
  hasSetuidHelper,
  readSysctl,
  removeBrowserDir,
  type SandboxFacts,
} from '../../functions/adapters/chromium/confinement.js';
import { InvariantError } from '../../functions/core/domain/errors.js';

const proxy = 'http://127.0.0.1:1';
const dir: BrowserDir = {
  root: '/tmp/redline-chromium-x',
  home: '/tmp/redline-chromium-x/home',
  tmp: '/tmp/redline-chromium-x/tmp',
  artifacts: '/tmp/redline-chromium-x/artifacts',
  cache: '/tmp/redline-chromium-x/cache',
};
const has = (args: string[], flag: string) => args.some((a) => a === flag || a.startsWith(`${flag}=`));

describe('hardenedArgs', () => {
  const defaults = sparticuz.args;

  it("starts from @sparticuz/chromium's real defaults, which carry every flag we drop", () => {
    // Prepare / Assess: if the package stops sending one of these, the drops below test nothing.
    for (const flag of [...UNSAFE_FLAGS, ...SINGLE_PROCESS_FLAGS, ...SANDBOX_OFF_FLAGS])
      expect(has(defaults, flag), flag).toBe(true);
  });

  for (const processModel of ['multi', 'single'] as const) {
    it(`drops the flags that weaken web security and adds the network hardening (${processModel})`, () => {
      const args = hardenedArgs(defaults, proxy, processModel);
      for (const flag of UNSAFE_FLAGS) expect(has(args, flag), flag).toBe(false);
      expect(args).toEqual(
        expect.arrayContaining([
          `--proxy-server=${proxy}`,
          '--proxy-bypass-list=<-loopback>',
          '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
          '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
          '--disable-quic',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ]),
      );
      // The proxy is given once: a second --proxy-server from the defaults would be ambiguous.
      expect(args.filter((a) => a.startsWith('--proxy-server')).length).toBe(1);
    });
  }

  it('keeps the single-process flags only in the single model', () => {
    const multi = hardenedArgs(defaults, proxy, 'multi');
    const single = hardenedArgs(defaults, proxy, 'single');
    for (const flag of SINGLE_PROCESS_FLAGS) {
      expect(multi).not.toContain(flag);
      expect(single).toContain(flag);
    }
    // Added back even when the defaults lack them.
    expect(hardenedArgs([], proxy, 'single')).toEqual(expect.arrayContaining(SINGLE_PROCESS_FLAGS));
  });

  it('keeps the sandbox-off flags only when the sandbox is off', () => {
    const on = hardenedArgs(defaults, proxy, 'multi', true);
    for (const flag of SANDBOX_OFF_FLAGS) expect(on).not.toContain(flag);
    expect(hardenedArgs(defaults, proxy, 'multi', false)).toContain('--no-sandbox');
    expect(hardenedArgs(defaults, proxy, 'single', false)).toContain('--no-sandbox');
    // Off is said outright, not left to the defaults.
    expect(hardenedArgs([], proxy, 'multi', false)).toContain('--no-sandbox');
  });

  it('refuses a sandbox in the single-process model', () => {
    expect(() => hardenedArgs(defaults, proxy, 'single', true)).toThrow(InvariantError);
  });
});

describe('launchOptions', () => {
  const parentEnv = {
    PATH: '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    TZ: ':UTC',
    HOME: '/root',
    TMPDIR: '/var/tmp',
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_SESSION_TOKEN: 'token',
    AWS_LAMBDA_FUNCTION_NAME: 'redline-capture',
    REDLINE_SIGNING_KEY: 'hush',
    NODE_OPTIONS: '--require /tmp/x.js',
  };

  for (const sandbox of [true, false]) {
    it(`tells Playwright the same about the sandbox as the flags do (sandbox ${sandbox ? 'on' : 'off'})`, () => {
      const options = launchOptions({
        executablePath: '/tmp/chromium',
        defaults: sparticuz.args,
        proxyUrl: proxy,
        processModel: 'multi',
        sandbox,
        dir,
        parentEnv,
      });
      expect(options.chromiumSandbox).toBe(sandbox);
      expect(options.args!.includes('--no-sandbox')).toBe(!sandbox);
      expect(options.args).toContain(`--disk-cache-dir=${dir.cache}`);
      expect(options.artifactsDir).toBe(dir.artifacts);
      expect(options.headless).toBe(true);
      expect(options.env).toEqual({
        PATH: '/usr/bin:/bin',
        LANG: 'C.UTF-8',
        TZ: ':UTC',
        HOME: dir.home,
        TMPDIR: dir.tmp,
      });
    });
  }
});

describe('browserEnv', () => {
  it("passes @sparticuz/chromium's Lambda variables through and nothing outside the allow-list", () => {
    const parent: NodeJS.ProcessEnv = {
      FONTCONFIG_PATH: '/tmp/fonts',
      LD_LIBRARY_PATH: '/tmp/al2023/lib:/var/lang/lib',
      LANGUAGE: 'en',
      LC_ALL: 'C.UTF-8',
      AWS_REGION: 'eu-west-1',
      AWS_SECRET_ACCESS_KEY: 'secret',
      REDLINE_TABLE: 'table',
      CHROME_DEVEL_SANDBOX: '/tmp/evil',
      XDG_CONFIG_HOME: '/root/.config',
    };
    const env = browserEnv(parent, dir);
    expect(env).toEqual({
      FONTCONFIG_PATH: '/tmp/fonts',
      LD_LIBRARY_PATH: '/tmp/al2023/lib:/var/lang/lib',
      LANGUAGE: 'en',
      LC_ALL: 'C.UTF-8',
      HOME: dir.home,
      TMPDIR: dir.tmp,
    });
    for (const name of Object.keys(env))
      expect([...BROWSER_ENV_ALLOW_LIST, 'HOME', 'TMPDIR']).toContain(name);
  });

  it('allows every variable @sparticuz/chromium sets for its Lambda path (AL2023), HOME aside', () => {
    // Prepare: a process that looks like Lambda's Node 22 runtime, with a small known environment.
    const parentEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    };
    // Act: import the package there (importing unpacks nothing) and see what it added.
    const after = JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '--eval',
          "await import('@sparticuz/chromium'); console.log(JSON.stringify(process.env));",
        ],
        { encoding: 'utf8', env: parentEnv },
      ),
    ) as Record<string, string>;
    const added = Object.keys(after).filter((name) => !(name in parentEnv));
    // Assess: it still sets the variables we know of (else this test checks nothing), and we pass them all on.
    expect(added).toEqual(expect.arrayContaining(['FONTCONFIG_PATH', 'LD_LIBRARY_PATH']));
    const passed = browserEnv(after, dir);
    for (const name of added.filter((n) => n !== 'HOME')) expect(passed[name], name).toBe(after[name]);
    expect(passed.HOME).toBe(dir.home);
  });

  it('gives HOME and TMPDIR even when the parent has none', () => {
    expect(browserEnv({}, dir)).toEqual({ HOME: dir.home, TMPDIR: dir.tmp });
  });
});

describe('decideSandbox', () => {
  // A non-root user on a kernel with user namespaces: the sandbox's home ground.
  const base: SandboxFacts = {
    processModel: 'multi',
    lambda: false,
    euid: 1000,
    maxUserNamespaces: 63_000,
    unprivilegedUsernsClone: undefined,
    apparmorRestrictUnprivilegedUserns: undefined,
    setuidHelper: false,
  };
  const cases: [string, Partial<SandboxFacts>, boolean, RegExp][] = [
    ['a user with user namespaces', {}, true, /user-namespace/],
    ["Debian's userns sysctl on", { unprivilegedUsernsClone: 1 }, true, /user-namespace/],
    [
      "Ubuntu's AppArmor switch present but off",
      { apparmorRestrictUnprivilegedUserns: 0 },
      true,
      /namespace/,
    ],
    ['the single-process model (Lambda)', { processModel: 'single' }, false, /single-process/],
    ['Lambda, even in the multi model', { lambda: true }, false, /Lambda/],
    ['Lambda with a setuid helper somehow present', { lambda: true, setuidHelper: true }, false, /Lambda/],
    ['root', { euid: 0 }, false, /root/],
    ['root with a setuid helper', { euid: 0, setuidHelper: true }, false, /root/],
    ['user namespaces limited to zero', { maxUserNamespaces: 0 }, false, /namespaces are unavailable/],
    ["Debian's userns sysctl off", { unprivilegedUsernsClone: 0 }, false, /unavailable/],
    ['AppArmor restricting user namespaces', { apparmorRestrictUnprivilegedUserns: 1 }, false, /unavailable/],
    ['no /proc (not Linux)', { maxUserNamespaces: undefined }, false, /unavailable/],
    ['no user namespaces but a setuid helper', { maxUserNamespaces: 0, setuidHelper: true }, true, /setuid/],
    [
      'AppArmor restricting, setuid helper present',
      { apparmorRestrictUnprivilegedUserns: 1, setuidHelper: true },
      true,
      /setuid/,
    ],
    ['no uid (not POSIX) with user namespaces', { euid: undefined }, true, /namespace/],
  ];
  for (const [name, facts, sandbox, reason] of cases) {
    it(`sandbox ${sandbox ? 'on' : 'off'}: ${name}`, () => {
      const decision = decideSandbox({ ...base, ...facts });
      expect(decision.sandbox).toBe(sandbox);
      expect(decision.reason).toMatch(reason);
    });
  }
});

describe('sandbox facts from the machine', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'redline-sysctl-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('reads a sysctl as a number, and an absent or odd one as unknown', async () => {
    await writeFile(join(scratch, 'one'), '96365\n');
    await writeFile(join(scratch, 'odd'), 'yes\n');
    expect(readSysctl(join(scratch, 'one'))).toBe(96365);
    expect(readSysctl(join(scratch, 'odd'))).toBeUndefined();
    expect(readSysctl(join(scratch, 'absent'))).toBeUndefined();
  });

  it('sees no setuid helper where there is none, or where chrome-sandbox is not setuid', async () => {
    expect(hasSetuidHelper(join(scratch, 'chromium'))).toBe(false);
    await writeFile(join(scratch, 'chrome-sandbox'), '', { mode: 0o755 });
    expect(hasSetuidHelper(join(scratch, 'chromium'))).toBe(false);
    // Setuid and owned by whoever runs the test: a helper only when that is root.
    await chmod(join(scratch, 'chrome-sandbox'), 0o4755);
    expect(hasSetuidHelper(join(scratch, 'chromium'))).toBe(process.geteuid?.() === 0);
  });
});

describe('createBrowserDir', () => {
  const mode = (path: string) => statSync(path).mode & 0o777;

  it('makes a fresh 0700 directory with 0700 parts, and removes it', async () => {
    const a = await createBrowserDir();
    const b = await createBrowserDir();
    try {
      expect(a.root).not.toBe(b.root);
      for (const path of [a.root, a.home, a.tmp, a.artifacts, a.cache]) expect(mode(path), path).toBe(0o700);
    } finally {
      await removeBrowserDir(a);
      await removeBrowserDir(b);
    }
    expect(existsSync(a.root)).toBe(false);
    expect(existsSync(b.root)).toBe(false);
  });

  it('is removed when the process exits without closing its browser', () => {
    const module = resolve('functions/adapters/chromium/confinement.ts');
    const root = execFileSync(
      resolve('node_modules/.bin/tsx'),
      [
        '--eval',
        `import(${JSON.stringify(module)}).then(async ({ createBrowserDir }) => {
           const dir = await createBrowserDir();
           process.stdout.write(dir.root);
           process.exit(0);
         });`,
      ],
      { encoding: 'utf8' },
    );
    expect(root).toContain('redline-chromium-');
    expect(existsSync(root)).toBe(false);
  });
});

describe('a browser that dies while starting', () => {
  const died = new Error('browserType.launch: Target page, context or browser has been closed');
  it('is launched once more; a second death, or any other failure, is final', async () => {
    let calls = 0;
    await expect(
      launchRetryingStartupCrash(async () => {
        calls++;
        if (calls === 1) throw died;
        return 'browser';
      }),
    ).resolves.toBe('browser');
    expect(calls).toBe(2);

    calls = 0;
    await expect(
      launchRetryingStartupCrash(async () => {
        calls++;
        throw died;
      }),
    ).rejects.toBe(died);
    expect(calls).toBe(2);

    calls = 0;
    const missing = new Error('browserType.launch: Failed to launch: Error: spawn /x/chromium ENOENT');
    await expect(
      launchRetryingStartupCrash(async () => {
        calls++;
        throw missing;
      }),
    ).rejects.toBe(missing);
    expect(calls).toBe(1);
  });

  it('tells a death at start-up from a browser that could not start', () => {
    expect(diedStarting(new Error('browserType.launch: Browser closed.\n==== Browser output ===='))).toBe(
      true,
    );
    expect(diedStarting(new Error('Failed to launch the browser process: No usable sandbox!'))).toBe(false);
  });
});
