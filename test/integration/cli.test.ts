import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePage, EDITED, type NewsSite, ORIGINAL, startNewsSite } from '../../demo/news-site.js';
import { runRedline } from '../support/cli.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';

/**
 * The compiled CLI (built once per run by test/support/build-cli.ts, as `npm pack` builds it) in child
 * processes. Each command takes well under a second; the limits below are for a loaded 2-core machine
 * and the work stays far from them.
 */
const LONG = 300_000;

let site: NewsSite;
let home: string;

/** The real `redline` binary against the test's data dir. */
const redline = (args: string[], env: Record<string, string> = { REDLINE_ALLOW_PRIVATE_NETWORK: '1' }) =>
  runRedline(args, { ...process.env, REDLINE_HOME: home, ...env });

beforeAll(async () => {
  site = await startNewsSite();
  home = await mkdtemp(join(tmpdir(), 'redline-cli-'));
});
afterAll(async () => {
  await site.close();
  await rm(home, { recursive: true, force: true });
});

describe('redline CLI, local mode, end to end', { timeout: LONG }, () => {
  it('watches, ignores noise, versions an edit, notifies, and returns verified bytes', async () => {
    const url = site.articleUrl;
    const added = await redline(['watch', 'add', url, '--every', '15m', '--tag', 'city']);
    expect(added.stdout).toContain(`watching ${url}`);

    const first = await redline(['capture', url, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).capture).toMatchObject({
      status: 'complete',
      verdict: 'first',
      version: 1,
    });

    site.setRound(2, ORIGINAL);
    const noise = await redline(['capture', url]);
    expect(noise.stdout).toContain('unchanged since v1');

    site.setRound(3, EDITED);
    const edit = await redline(['capture', url]);
    expect(edit.stdout).toContain('edited: new version v2 — silent: the page’s dateModified did not change');

    const versions = JSON.parse((await redline(['versions', url, '--json'])).stdout);
    expect(versions.map((v: { number: number }) => v.number)).toEqual([1, 2]);
    expect(versions[1].edits.map((e: { kind: string }) => e.kind)).toContain('headline_changed');

    const notifications = (await readFile(join(home, 'notifications.jsonl'), 'utf8')).trim().split('\n');
    expect(notifications).toHaveLength(1);
    expect(JSON.parse(notifications[0]!)).toMatchObject({
      type: 'redline.edit',
      url,
      oldVersion: 1,
      newVersion: 2,
      newTextHash: versions[1].textHash,
      tags: ['city'],
    });

    for (const [format, kind] of [
      ['html', 'raw'],
      ['rendered', 'rendered'],
      ['pdf', 'pdf'],
      ['png', 'screenshot'],
      ['text', 'text'],
    ]) {
      const got = await redline(['get', url, '--version', '1', '--format', format!]);
      expect(got.code).toBe(0);
      expect(`sha256:${createHash('sha256').update(got.bytes).digest('hex')}`).toBe(
        versions[0].artifacts[kind!].digest,
      );
    }
    const asOf = await redline(['get', url, '--at', versions[0].capturedAt, '--format', 'text']);
    expect(asOf.stdout).toContain('voted 7 to 2');
    const out = join(home, 'v2.pdf');
    await redline(['get', url, '--format', 'pdf', '-o', out]);
    expect((await readFile(out)).subarray(0, 5).toString()).toBe('%PDF-');

    const diff = await redline(['diff', url, '--json']);
    expect(JSON.parse(diff.stdout)).toMatchObject({ from: 1, to: 2 });
    const plain = await redline(['diff', url, '--from', '1', '--to', '2']);
    expect(plain.stdout).toContain('voted [-7-]{+5+} to [-2-]{+4+}');
    const html = await redline(['diff', url, '--html']);
    expect(html.stdout).toMatch(/^<!doctype html>/);
    expect(html.stdout).toContain('voted <del>7</del><ins>5</ins> to <del>2</del><ins>4</ins>');
    expect(JSON.parse(notifications[0]!).diffHtml).toBe(versions[1].diff.digest);
    // The local server's diff page (REDLINE_VIEWER_URL, default http://127.0.0.1:8080), by version numbers.
    expect(JSON.parse(notifications[0]!).diffUrl).toBe(
      `http://127.0.0.1:8080/#/w/${versions[1].watchId}/diff/1/2`,
    );
  });

  it('runs due watches once', async () => {
    const out = await redline(['run', '--once']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/\d+ due, \d+ captured/);
  });

  it('compares two files with the same engine', async () => {
    const dir = join(home, 'compare');
    await mkdir(dir);
    await writeFile(join(dir, 'a.html'), articlePage(ORIGINAL, 1));
    await writeFile(join(dir, 'b.html'), articlePage(ORIGINAL, 2));
    await writeFile(join(dir, 'c.html'), articlePage(EDITED, 3));
    const same = JSON.parse(
      (await redline(['compare', join(dir, 'a.html'), join(dir, 'b.html'), '--json'])).stdout,
    );
    expect(same).toMatchObject({ changed: false, verdict: 'unchanged' });
    const edited = JSON.parse(
      (await redline(['compare', join(dir, 'a.html'), join(dir, 'c.html'), '--json'])).stdout,
    );
    expect(edited).toMatchObject({ changed: true, verdict: 'edited' });
  });

  it('rejects bad input, a missing watch or a missing version with one line and exit 2, and changes nothing', async () => {
    const before = (await redline(['watch', 'list', '--json'])).stdout;
    const index = `${site.url}/news/`;
    const cases: [string[], RegExp, number][] = [
      [['watch', 'add', 'not-a-url'], /^redline: invalid URL: "not-a-url"\n$/, 2],
      [['watch', 'add', 'file:///etc/passwd'], /^redline: unsupported URL scheme file:/, 2],
      [['watch', 'add', site.articleUrl, '--every', 'often'], /^redline: invalid cadence "often"/, 2],
      [['watch', 'add', site.articleUrl, '--mode', 'fast'], /argument 'fast' is invalid/, 2],
      [
        ['watch', 'add', site.articleUrl, '--ignore-robots', ' '],
        /^redline: ignoring robots.txt needs a reason\n$/,
        2,
      ],
      [
        ['watch', 'add', index, '--feed', '--link-pattern', '/news/(\\d+'],
        /^redline: invalid link pattern "\/news\/\(\\\\d\+": .*Unterminated group\n$/,
        2,
      ],
      [
        ['watch', 'add', index, '--link-pattern', '/news/'],
        /^redline: a link pattern applies to feed watches only/,
        2,
      ],
      [['capture', site.articleUrl, '--bogus'], /^redline: unknown option '--bogus'/, 2],
      [
        ['versions', 'https://unwatched.example/x'],
        /^redline: no watch for https:\/\/unwatched.example\/x\n$/,
        2,
      ],
      [['get', site.articleUrl, '--version', '99'], /has no version 99/, 2],
      [['get', site.articleUrl, '--version', 'x'], /invalid version number/, 2],
      [['get', site.articleUrl, '--format', 'gif'], /argument 'gif' is invalid/, 2],
      [['frobnicate'], /^redline: unknown command 'frobnicate'/, 2],
    ];
    for (const [args, message, code] of cases) {
      const result = await redline(args);
      expect(result.code, args.join(' ')).toBe(code);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect((await redline(['watch', 'list', '--json'])).stdout).toBe(before);
  });

  it('stores --feed --link-pattern as a feed watch with that pattern', async () => {
    const index = `${site.url}/news/`;
    const added = await redline([
      'watch',
      'add',
      index,
      '--feed',
      '--link-pattern',
      '/news/\\d{4}/',
      '--every',
      '15m',
    ]);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('feed (links matching //news/\\d{4}//)');
    const watches = JSON.parse((await redline(['watch', 'list', '--json'])).stdout) as Record<
      string,
      unknown
    >[];
    expect(watches.find((w) => w.url === index)).toMatchObject({
      type: 'feed',
      linkPattern: '/news/\\d{4}/',
      cadenceSeconds: 900,
    });
    expect((await redline(['watch', 'remove', index])).code).toBe(0);
  });

  it('loads neither the AWS SDK, nor dynalite, nor Chromium for --help and compare', async () => {
    const dir = join(home, 'imports');
    await mkdir(dir);
    await writeFile(join(dir, 'a.html'), articlePage(ORIGINAL, 1));
    await writeFile(join(dir, 'b.html'), articlePage(EDITED, 2));
    const hook = join(import.meta.dirname, '..', 'support', 'import-log.mjs');
    const heavy = /@aws-sdk|dynalite|classic-level|@sparticuz|playwright-core/;
    for (const [name, args, expected] of [
      ['help', ['--help'], /Commands:/],
      ['compare', ['compare', join(dir, 'a.html'), join(dir, 'b.html')], /^edited/],
    ] as const) {
      const log = join(dir, `${name}.log`);
      const result = await runRedline([...args], { ...process.env, REDLINE_IMPORT_LOG: log }, [
        '--import',
        hook,
      ]);
      expect(result.code, name).toBe(0);
      expect(result.stdout, name).toMatch(expected);
      const loaded = (await readFile(log, 'utf8')).trim().split('\n');
      expect(
        loaded.some((url) => url.includes('/commander/')),
        name,
      ).toBe(true);
      expect(
        loaded.filter((url) => heavy.test(url)),
        name,
      ).toEqual([]);
    }
    // The same hook does see them where they are used.
    const log = join(dir, 'list.log');
    await runRedline(['watch', 'list'], { ...process.env, REDLINE_HOME: home, REDLINE_IMPORT_LOG: log }, [
      '--import',
      hook,
    ]);
    // (A command is a client of the data dir's store process: it loads the DynamoDB client; dynalite runs in the store.)
    const listed = (await readFile(log, 'utf8')).split('\n');
    expect(listed.some((url) => url.includes('/@aws-sdk/client-dynamodb/'))).toBe(true);
    expect(listed.some((url) => url.includes('/dynalite/'))).toBe(false);
  });

  it('lists every command in --help and shows a command group on `help <command>`', async () => {
    const help = await redline(['--help']);
    expect(help.code).toBe(0);
    for (const term of [
      'watch',
      'capture [options] <url>',
      'compare [options] <old> <new>',
      'diff [options] <url>',
    ])
      expect(help.stdout).toContain(term);
    const watchHelp = await redline(['help', 'watch']);
    expect(watchHelp.code).toBe(0);
    expect(watchHelp.stdout).toContain('add [options] <url>');
    const addHelp = await redline(['watch', 'add', '--help']);
    expect(addHelp.stdout).toMatch(/--link-pattern <regex>/);
  });

  it('refuses loopback without the opt-in and records an unreachable host as a failed capture', async () => {
    const refused = await redline(['capture', site.articleUrl], {});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused to connect to 127\.0\.0\.1.*loopback/);
    const unreachable = await redline(['capture', 'http://127.0.0.1:9/story']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /^redline: capture of http:\/\/127\.0\.0\.1:9\/story failed: could not fetch/,
    );
    const captures = JSON.parse((await redline(['captures', 'http://127.0.0.1:9/story', '--json'])).stdout);
    expect(captures).toEqual([
      expect.objectContaining({ status: 'failed', reason: expect.stringMatching(/could not fetch/) }),
    ]);
    const watches = JSON.parse((await redline(['watch', 'list', '--json'])).stdout) as { url: string }[];
    expect(watches.map((w) => w.url)).not.toContain('http://127.0.0.1:9/story');
  });
});

describe('redline CLI, the analyst’s desk: state, removed watches, any capture, diff files, exit codes, progress', {
  timeout: LONG,
}, () => {
  /** What /story answers: the article (original or edited), a paywall 403, a 404, or a dropped connection. */
  let state: 'original' | 'edited' | 'blocked' | 'gone' | 'down' = 'original';
  let round = 0;
  let server: FixtureServer;
  let deskHome: string;
  let story: string;
  /** What `capture` printed for the paywall page. */
  let blockedCapture = '';
  const desk = (args: string[]) =>
    runRedline(args, { ...process.env, REDLINE_HOME: deskHome, REDLINE_ALLOW_PRIVATE_NETWORK: '1' });
  const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

  beforeAll(async () => {
    deskHome = await mkdtemp(join(tmpdir(), 'redline-desk-'));
    const page = (_req: unknown, res: import('node:http').ServerResponse) => {
      round++;
      if (state === 'down') res.socket?.destroy();
      else if (state === 'blocked')
        res
          .writeHead(403, { 'content-type': 'text/html' })
          .end('<html><body><h1>Access denied</h1><p>Subscribe to read.</p></body></html>');
      else if (state === 'gone')
        res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>Not found</body></html>');
      else
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(articlePage(state === 'edited' ? EDITED : ORIGINAL, round));
    };
    server = await startFixtureServer({
      '/story': page,
      '/other': (_req, res) =>
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(articlePage(ORIGINAL, 1)),
    });
    story = `${server.url}/story`;
  });
  afterAll(async () => {
    await server.close();
    await rm(deskHome, { recursive: true, force: true });
  });

  it('lists the latest capture’s real state: an anomaly with its HTTP status, a failure with the open anomaly', async () => {
    expect((await desk(['watch', 'add', story, '--mode', 'http', '--tag', 'desk'])).code).toBe(0);
    expect((await desk(['capture', story])).code).toBe(0);
    state = 'blocked';
    blockedCapture = (await desk(['capture', story])).stdout;
    expect(blockedCapture).toContain('capture anomaly: blocked');
    state = 'gone';
    expect((await desk(['capture', story])).stdout).toContain('capture anomaly: not_found');
    const gone = (await desk(['watch', 'list'])).stdout;
    expect(gone).toMatch(/; last anomaly \d{4}-\d\d-\d\dT[\d:.]+Z \(HTTP 404: not_found\); next /);
    expect(gone).not.toContain('last complete');

    state = 'down';
    const failed = await desk(['capture', story]);
    expect(failed.code).toBe(1);
    const list = (await desk(['watch', 'list'])).stdout;
    expect(list).toMatch(
      /; last failed \d{4}-[^ ]+Z \(fetch: could not fetch .*\); open anomaly: not_found; next /,
    );

    state = 'original';
    expect((await desk(['capture', story])).stdout).toContain('unchanged since v1');
    expect((await desk(['watch', 'list'])).stdout).toMatch(/; last complete \d{4}-[^ ]+Z; next /);
  });

  it('writes each diff format to -o: JSON, the HTML page, or the terminal text without colours', async () => {
    state = 'edited';
    expect((await desk(['capture', story])).stdout).toContain('edited: new version v2');
    const out = (name: string) => join(deskHome, name);
    expect((await desk(['diff', story, '--json', '-o', out('d.json')])).code).toBe(0);
    expect(JSON.parse(await readFile(out('d.json'), 'utf8'))).toMatchObject({ from: 1, to: 2, url: story });
    expect((await desk(['diff', story, '--html', '-o', out('d.html')])).code).toBe(0);
    const html = await readFile(out('d.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('voted <del>7</del><ins>5</ins>');
    const written = await desk(['diff', story, '-o', out('d.txt')]);
    expect(written.stderr).toContain('diff (text)');
    const text = await readFile(out('d.txt'), 'utf8');
    expect(text).toContain(`${story}: v1 (`);
    expect(text).toContain('voted [-7-]{+5+} to [-2-]{+4+}');
    expect(text).not.toContain('\u001b');
  });

  it('keeps a removed watch’s history readable, and fetches any capture’s artifacts by id', async () => {
    const captures = JSON.parse((await desk(['captures', story, '--json'])).stdout) as {
      captureId: string;
      verdict?: string;
      anomaly?: string;
      artifacts: Record<string, { digest: string }>;
    }[];
    const blocked = captures.find((c) => c.anomaly === 'blocked')!;
    expect(blocked.verdict).toBe('anomaly');
    const lines = (await desk(['captures', story])).stdout;
    expect(blockedCapture).toMatch(
      new RegExp(
        `capture anomaly: blocked \\(not an edit; baseline v\\d+ kept\\); capture ${blocked.captureId}`,
      ),
    );
    for (const capture of captures) expect(lines).toContain(`  ${capture.captureId}  `);

    expect((await desk(['watch', 'remove', story])).code).toBe(0);
    expect((await desk(['watch', 'list'])).stdout).not.toContain(story);

    const versions = JSON.parse((await desk(['versions', story, '--json'])).stdout);
    expect(versions.map((v: { number: number }) => v.number)).toEqual([1, 2]);
    const v1 = await desk(['get', story, '--version', '1', '--format', 'text']);
    expect(v1.code).toBe(0);
    expect(digestOf(v1.bytes)).toBe(versions[0].artifacts.text.digest);
    const diff = await desk(['diff', story, '--json']);
    expect(JSON.parse(diff.stdout)).toMatchObject({ from: 1, to: 2 });

    // The paywall page made no version; its bytes and WARC are kept and reachable by capture id.
    for (const [format, kind] of [
      ['html', 'raw'],
      ['warc', 'warc'],
    ] as const) {
      const got = await desk(['get', story, '--capture', blocked.captureId, '--format', format]);
      expect(got.code, format).toBe(0);
      expect(digestOf(got.bytes), format).toBe(blocked.artifacts[kind]!.digest);
    }
    const file = join(deskHome, 'blocked.html');
    const saved = await desk(['get', story, '--capture', blocked.captureId, '-o', file]);
    expect(saved.stderr).toContain(`capture ${blocked.captureId} html ${blocked.artifacts.raw!.digest}`);
    expect((await readFile(file, 'utf8')).toString()).toContain('Access denied');

    const cases: [string[], RegExp][] = [
      [['get', story, '--capture', 'no-such-capture'], /^redline: .* has no capture no-such-capture\n$/],
      [['get', story, '--capture', blocked.captureId, '--format', 'png'], /has no png artifact \(it has /],
      [
        ['get', story, '--capture', blocked.captureId, '--version', '1'],
        /use one of --version, --at or --capture/,
      ],
      [['versions', `${server.url}/never`], /^redline: no watch for http:\/\/127\.0\.0\.1:\d+\/never\n$/],
      [['captures', `${server.url}/never`], /^redline: no watch for /],
      [['diff', `${server.url}/never`], /^redline: no watch for /],
      [['diff', story, '--from', '1', '--to', '9'], /has no version 9/],
    ];
    for (const [args, message] of cases) {
      const result = await desk(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('run prints no progress when stderr is a pipe: only the summary', async () => {
    expect((await desk(['watch', 'add', `${server.url}/other`, '--mode', 'http'])).code).toBe(0);
    const run = await desk(['run', '--once']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/first version v1\n1 due, 1 captured\n$/);
    expect(run.stderr).toBe('');
  });
});
