import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePage, ORIGINAL } from '../../demo/news-site.js';
import { runRedline, startRedline } from '../support/cli.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';

/**
 * Local mode with several redline processes on one data dir, through the compiled CLI: the first command
 * starts the data dir's store process (functions/local/store.ts), every command is its client. Limits are
 * for a loaded 2-core machine (each capture launches Chromium); nothing here waits on a tight clock.
 */
const LONG = 600_000;
const execFileAsync = promisify(execFile);
const STORIES = 12;

let site: FixtureServer;
const homes: string[] = [];

const storyUrl = (n: number) => `${site.url}/story/${n}`;

async function newHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'redline-concurrency-'));
  homes.push(home);
  return home;
}

const envFor = (home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  REDLINE_HOME: home,
  REDLINE_ALLOW_PRIVATE_NETWORK: '1',
  REDLINE_MIN_HOST_DELAY_MS: '0',
  ...extra,
});

const redline = (home: string, args: string[], extra: Record<string, string> = {}) =>
  runRedline(args, envFor(home, extra));

/** A command that worked: exit 0 and nothing on stderr (no stack trace, no "Database is closed"). */
function expectOk(result: { code: number; stderr: string; stdout: string }, what: string) {
  expect(result.stderr, what).toBe('');
  expect(result.code, `${what}: ${result.stdout}`).toBe(0);
}

interface StoreFile {
  port: number;
  pid: number;
  token: string;
  startedAt: string;
}

const readStore = async (home: string): Promise<StoreFile | undefined> => {
  try {
    return JSON.parse(await readFile(join(home, 'store.json'), 'utf8')) as StoreFile;
  } catch {
    return undefined;
  }
};

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** ListTables on the store with the AWS SDK, this access key id as the credential: the status it got. */
async function listTables(port: number, accessKeyId: string) {
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey: 'any' },
    maxAttempts: 1,
  });
  try {
    const { TableNames } = await client.send(new ListTablesCommand({}));
    return { status: 200, tables: TableNames };
  } catch (error) {
    return { status: (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode };
  } finally {
    client.destroy();
  }
}

/** A request with no Authorization header at all. */
async function unsigned(port: number) {
  const response = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
    body: '{}',
  });
  await response.arrayBuffer();
  return response.status;
}

beforeAll(async () => {
  const routes: Parameters<typeof startFixtureServer>[0] = {};
  for (let n = 1; n <= STORIES; n++) {
    const page = articlePage({ ...ORIGINAL, headline: `Story ${n}: ${ORIGINAL.headline}` }, n);
    routes[`/story/${n}`] = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    };
  }
  site = await startFixtureServer(routes);
});

afterAll(async () => {
  await site?.close();
  // Removing a data dir also ends its store (it checks that store.json still names it).
  for (const home of homes) await rm(home, { recursive: true, force: true });
});

describe('local mode with several processes on one data dir', { timeout: LONG }, () => {
  it('reads, captures and adds watches from other processes while `redline run` runs', async () => {
    const home = await newHome();
    for (const n of [1, 2, 3]) expectOk(await redline(home, ['watch', 'add', storyUrl(n)]), `watch add ${n}`);
    const run = startRedline(['run', '--poll', '1'], envFor(home));
    try {
      await run.waitForOutput(/story\/\d+: complete/, 240_000);
      const [list, versions, captured, added] = await Promise.all([
        redline(home, ['watch', 'list', '--json']),
        redline(home, ['versions', storyUrl(1), '--json']),
        redline(home, ['capture', storyUrl(4), '--json']),
        redline(home, ['watch', 'add', storyUrl(5), '--every', '15m']),
      ]);
      expectOk(list, 'watch list');
      expect(JSON.parse(list.stdout).map((w: { url: string }) => w.url)).toEqual(
        expect.arrayContaining([storyUrl(1), storyUrl(2), storyUrl(3)]),
      );
      expectOk(versions, 'versions');
      expect(Array.isArray(JSON.parse(versions.stdout))).toBe(true);
      expectOk(captured, 'capture');
      // The scheduler may capture the new watch too, first or second: one version either way (checked below).
      const capture = JSON.parse(captured.stdout).capture;
      // Complete, or (on a machine loaded by the other processes here) partial only because a step's time
      // budget ran out; any other reason fails, and is shown.
      const overBudget = /budget of \d+ ms ran out|took over the budget/.test(String(capture.reason ?? ''));
      expect({
        status: capture.status === 'partial' && overBudget ? 'complete' : capture.status,
        verdict: capture.status === 'complete' ? capture.verdict : 'first',
        why: capture.status === 'complete' || overBudget ? undefined : [capture.reason, capture.steps],
      }).toMatchObject({
        status: 'complete',
        verdict: expect.stringMatching(/^(first|unchanged)$/),
      });
      expectOk(added, 'watch add');
      // The scheduler picks up the watch added from the other terminal.
      await run.waitForOutput(/story\/5: complete/, 240_000);
    } finally {
      const stopped = await run.stop('SIGTERM');
      expect(stopped.stderr).toBe('');
      expect(stopped.code).toBe(0);
    }
    for (const n of [1, 2, 3, 4, 5]) {
      const versions = await redline(home, ['versions', storyUrl(n), '--json']);
      expectOk(versions, `versions ${n}`);
      expect(JSON.parse(versions.stdout), `story ${n}`).toHaveLength(1);
    }
  });

  it('records two captures started at once', async () => {
    const home = await newHome();
    const results = await Promise.all([6, 7].map((n) => redline(home, ['capture', storyUrl(n), '--json'])));
    for (const [i, result] of results.entries()) {
      expectOk(result, `capture ${i}`);
      expect(JSON.parse(result.stdout).capture).toMatchObject({ status: 'complete', verdict: 'first' });
    }
    for (const n of [6, 7]) {
      const versions = await redline(home, ['versions', storyUrl(n), '--json']);
      expect(JSON.parse(versions.stdout), `story ${n}`).toHaveLength(1);
    }
  });

  it('runs 8 commands started together on a data dir with no store yet', async () => {
    const home = await newHome();
    const results = await Promise.all([
      ...[1, 2, 3, 4].map((n) => redline(home, ['watch', 'add', storyUrl(n)])),
      ...[1, 2, 3, 4].map(() => redline(home, ['watch', 'list'])),
    ]);
    for (const [i, result] of results.entries()) expectOk(result, `command ${i}`);
    const list = await redline(home, ['watch', 'list', '--json']);
    expect(
      JSON.parse(list.stdout)
        .map((w: { url: string }) => w.url)
        .sort(),
    ).toEqual([1, 2, 3, 4].map(storyUrl).sort());
    // One store served them all, and its file is the user's alone.
    expect((await stat(join(home, 'store.json'))).mode & 0o777).toBe(0o600);
  });

  it('stops the store by itself once idle, and starts a new one for the next command', async () => {
    const home = await newHome();
    const env = { REDLINE_STORE_IDLE_MS: '500' };
    expectOk(await redline(home, ['watch', 'list'], env), 'first');
    const first = await readStore(home);
    expect(first).toBeDefined();
    await waitUntil(
      async () => !isAlive(first!.pid) && !(await readStore(home)),
      60_000,
      'the store to exit',
    );
    expectOk(await redline(home, ['watch', 'add', storyUrl(1)], env), 'after idle');
    const second = await readStore(home);
    expect(second?.pid).not.toBe(first!.pid);
  });

  it('answers 403 to a request without the token from store.json', async () => {
    const home = await newHome();
    expectOk(await redline(home, ['watch', 'list']), 'watch list');
    const store = (await readStore(home))!;
    const wrong = await listTables(store.port, 'AKIAWRONGTOKEN');
    expect(wrong).toEqual({ status: 403 });
    expect(await listTables(store.port, `${store.token}x`)).toEqual({ status: 403 });
    expect(await listTables(store.port, store.token.slice(0, -1))).toEqual({ status: 403 });
    expect(await unsigned(store.port)).toBe(403);
    expect(await listTables(store.port, store.token)).toEqual({ status: 200, tables: ['redline'] });
  });

  it('replaces a stale store.json whose process is gone', async () => {
    const home = await newHome();
    // A pid that exited, and a port nothing listens on.
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.once('exit', resolve));
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const stale = { port, pid: dead.pid, token: 'a'.repeat(48), startedAt: new Date(0).toISOString() };
    await writeFile(join(home, 'store.json'), JSON.stringify(stale), { mode: 0o600 });
    expectOk(await redline(home, ['watch', 'add', storyUrl(2)]), 'watch add');
    const fresh = await readStore(home);
    expect(fresh?.pid).not.toBe(dead.pid);
    expect(fresh?.token).not.toBe(stale.token);
    expect(isAlive(fresh!.pid)).toBe(true);
  });

  it('reports a database the store cannot open in one line, exit 1', async () => {
    const home = await newHome();
    await writeFile(join(home, 'dynamodb'), 'not a database');
    const result = await redline(home, ['watch', 'list']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^redline: the store for .+ failed to start \(exit 1\): could not open the database in .+dynamodb: .+\(see .+store\.log\)\n$/,
    );
  });

  it('keeps outbox lines whole and blobs intact with several processes writing at once', async () => {
    const home = await newHome();
    const PROCESSES = 4;
    const LINES = 40;
    const adapters = join(import.meta.dirname, '..', '..', 'functions', 'adapters', 'fs');
    // Each process appends 64 KB anomaly lines through the outbox and stores the same blob again and again.
    const child = `
      import { OutboxNotifier } from ${JSON.stringify(pathToFileURL(join(adapters, 'outbox-notifier.ts')).href)};
      import { FsBlobStore } from ${JSON.stringify(pathToFileURL(join(adapters, 'fs-blob-store.ts')).href)};
      const [home, id] = process.argv.slice(1);
      const outbox = new OutboxNotifier(home + '/notifications.jsonl');
      const blobs = new FsBlobStore(home + '/blobs');
      const blob = new Uint8Array(1024 * 1024).fill(7);
      for (let i = 0; i < ${LINES}; i++) {
        await outbox.publishAnomaly({ type: 'redline.anomaly', watchId: id, url: 'https://example.org/' + i,
          capturedAt: new Date().toISOString(), anomaly: 'x'.repeat(64 * 1024), baselineVersion: i, tags: [] });
        await blobs.put(blob, 'application/octet-stream');
      }`;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    await Promise.all(
      Array.from({ length: PROCESSES }, (_, id) =>
        execFileAsync(process.execPath, [
          '--import',
          tsx,
          '--input-type=module',
          '-e',
          child,
          home,
          String(id),
        ]),
      ),
    );
    const lines = (await readFile(join(home, 'anomalies.jsonl'), 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(PROCESSES * LINES);
    const parsed = lines.map((line) => JSON.parse(line) as { watchId: string; baselineVersion: number });
    for (let id = 0; id < PROCESSES; id++)
      expect(parsed.filter((n) => n.watchId === String(id)).map((n) => n.baselineVersion)).toEqual(
        Array.from({ length: LINES }, (_, i) => i),
      );
    const blobDir = join(home, 'blobs', 'sha256');
    const files = (await readdir(blobDir, { recursive: true, withFileTypes: true })).filter((f) =>
      f.isFile(),
    );
    expect(files.map((f) => f.name)).toHaveLength(1);
    const bytes = await readFile(join(files[0]!.parentPath, files[0]!.name));
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(`sha256:${files[0]!.name}`);
  });

  it('starts a new store when the store is killed, for the next command and under a running scheduler', async () => {
    const home = await newHome();
    expectOk(await redline(home, ['watch', 'add', storyUrl(8)]), 'watch add');
    const killedOnce = (await readStore(home))!;
    process.kill(killedOnce.pid, 'SIGKILL');
    await waitUntil(() => !isAlive(killedOnce.pid), 30_000, 'the store to die');
    const list = await redline(home, ['watch', 'list', '--json']);
    expectOk(list, 'watch list after the kill');
    expect(JSON.parse(list.stdout).map((w: { url: string }) => w.url)).toEqual([storyUrl(8)]);
    const second = (await readStore(home))!;
    expect(second.pid).not.toBe(killedOnce.pid);

    const run = startRedline(['run', '--poll', '1'], envFor(home));
    try {
      await run.waitForOutput(/story\/8: complete/, 240_000);
      const current = (await readStore(home))!;
      process.kill(current.pid, 'SIGKILL');
      await waitUntil(() => !isAlive(current.pid), 30_000, 'the store to die');
      // The scheduler's next pass reaches a new store and captures a watch added after the kill.
      expectOk(await redline(home, ['watch', 'add', storyUrl(9)]), 'watch add after the kill');
      await run.waitForOutput(/story\/9: complete/, 240_000);
    } finally {
      const stopped = await run.stop('SIGTERM');
      expect(stopped.stderr).toBe('');
      expect(stopped.code).toBe(0);
    }
  });
});
