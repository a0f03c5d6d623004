import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePage, EDITED, type NewsSite, ORIGINAL, startNewsSite } from '../../demo/news-site.js';
import { runRedline } from '../support/cli.js';

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
      `http://127.0.0.1:8080/api/watches/${versions[1].watchId}/diff?from=1&to=2&format=html`,
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

  it('rejects bad input with one line and exit 2, a missing watch or version with exit 1, and changes nothing', async () => {
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
        1,
      ],
      [['get', site.articleUrl, '--version', '99'], /has no version 99/, 1],
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
