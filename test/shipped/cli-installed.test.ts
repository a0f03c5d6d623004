import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePage, EDITED, type NewsSite, ORIGINAL, startNewsSite } from '../../demo/news-site.js';
import { simplePdf } from '../support/simple-pdf.js';

/**
 * The `redline` a user installs: `npm pack` (which builds through the `prepare` script) into a temp dir, the tarball
 * installed into a fresh project from the npm cache, and its `node_modules/.bin/redline` run as a user
 * would. No TypeScript, no tsx, no repository files: only what the package ships and its dependencies.
 */
const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

let work: string;
let project: string;
let bin: string;
let site: NewsSite;
let packed: { files: { path: string }[]; filename: string };

/** The environment without npm's lifecycle variables (`npm test` sets them) and without Redline's own. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!/^npm_/i.test(key) && !key.startsWith('REDLINE_')) env[key] = value;
  return { ...env, ...extra };
}

async function redline(args: string[], extra: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(bin, args, { cwd: project, env: cleanEnv(extra) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'redline-shipped-'));
  project = join(work, 'project');
  await mkdir(project);
  const npm = (args: string[], cwd: string) =>
    run('npm', args, { cwd, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 });
  const { stdout } = await npm(['pack', '--json', '--pack-destination', work], root);
  // The prepare script's build output comes first on stdout; the JSON report is the last thing npm prints.
  [packed] = JSON.parse(stdout.slice(stdout.indexOf('[\n')));
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'uses-redline', private: true }));
  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed.filename)], project);
  bin = join(project, 'node_modules', '.bin', 'redline');
  site = await startNewsSite();
});

afterAll(async () => {
  await site?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed and installed redline CLI', () => {
  it('ships the compiled CLI only, and runs without tsx', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toContain('dist/cli/redline.js');
    expect(paths).toContain('dist/cli/redline-store.js');
    expect(paths.filter((p) => !/^(dist\/cli\/.+\.js|package\.json|README\.md)$/.test(p))).toEqual([]);
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'redline', 'functions'))).toBe(false);
  });

  it('prints its help', async () => {
    const help = await redline(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: redline \[options\] \[command\]/);
    expect(help.stdout).toContain('compare [options] <old> <new>');
    expect(help.stderr).toBe('');
  });

  it('compares two saved pages and finds the edit', async () => {
    await writeFile(join(work, 'old.html'), articlePage(ORIGINAL, 1));
    await writeFile(join(work, 'new.html'), articlePage(EDITED, 2));
    const result = await redline(['compare', join(work, 'old.html'), join(work, 'new.html'), '--json']);
    expect(result.code).toBe(0);
    const comparison = JSON.parse(result.stdout);
    expect(comparison).toMatchObject({ changed: true, verdict: 'edited' });
    expect(comparison.edits.map((e: { kind: string }) => e.kind)).toContain('headline_changed');
  });

  it('compares two PDFs (pdfjs-dist and its worker, as installed)', async () => {
    const later = 'The mayor is expected to sign the measure on Friday.';
    await writeFile(join(work, 'old.pdf'), simplePdf([[`The council voted 7 to 2 on the barrier.`, later]]));
    await writeFile(join(work, 'new.pdf'), simplePdf([[`The council voted 5 to 4 on the barrier.`, later]]));
    const result = await redline(['compare', join(work, 'old.pdf'), join(work, 'new.pdf')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^edited \(1 edit\)/);
    expect(result.stdout).toContain('voted [-7-]{+5+} to [-2-]{+4+}');
  });

  it('captures a page from a local server into a data dir and lists its version', async () => {
    const dataDir = join(work, 'data');
    const env = { REDLINE_ALLOW_PRIVATE_NETWORK: '1' };
    const captured = await redline(['--data-dir', dataDir, 'capture', site.articleUrl, '--json'], env);
    expect(captured.stderr).toBe('');
    expect(captured.code).toBe(0);
    expect(JSON.parse(captured.stdout).capture).toMatchObject({ status: 'complete', verdict: 'first' });
    const versions = await redline(['--data-dir', dataDir, 'versions', site.articleUrl, '--json'], env);
    expect(versions.code).toBe(0);
    const list = JSON.parse(versions.stdout);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ number: 1, url: site.articleUrl });
    expect(Object.keys(list[0].artifacts)).toEqual(
      expect.arrayContaining(['raw', 'rendered', 'pdf', 'text']),
    );
  });

  it('runs two commands at once on one data dir through the store process it ships', async () => {
    const dataDir = join(work, 'data-concurrent');
    const env = { REDLINE_ALLOW_PRIVATE_NETWORK: '1' };
    const index = `${site.url}/news/`;
    const [captured, added] = await Promise.all([
      redline(['--data-dir', dataDir, 'capture', site.articleUrl, '--json'], env),
      redline(['--data-dir', dataDir, 'watch', 'add', index, '--feed']),
    ]);
    expect(captured.stderr).toBe('');
    expect(captured.code).toBe(0);
    expect(JSON.parse(captured.stdout).capture).toMatchObject({ status: 'complete', verdict: 'first' });
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const watches = JSON.parse((await redline(['--data-dir', dataDir, 'watch', 'list', '--json'])).stdout);
    expect(watches.map((w: { url: string }) => w.url).sort()).toEqual([site.articleUrl, index].sort());
    // The store serving them is the installed package's own entry, run by plain node.
    const store = JSON.parse(await readFile(join(dataDir, 'store.json'), 'utf8')) as { pid: number };
    const cmdline = (await readFile(`/proc/${store.pid}/cmdline`, 'utf8')).split('\0');
    expect(cmdline).toContain(join(project, 'node_modules', 'redline', 'dist', 'cli', 'redline-store.js'));
    expect(cmdline.join(' ')).not.toMatch(/tsx/);
  });

  it('stores a feed watch with its link pattern and refuses a bad pattern in one line', async () => {
    const dataDir = join(work, 'data');
    const index = `${site.url}/news/`;
    const added = await redline([
      '--data-dir',
      dataDir,
      'watch',
      'add',
      index,
      '--feed',
      '--link-pattern',
      '/2026/',
    ]);
    expect(added.code).toBe(0);
    const watches = JSON.parse((await redline(['--data-dir', dataDir, 'watch', 'list', '--json'])).stdout);
    expect(watches.find((w: { url: string }) => w.url === index)).toMatchObject({
      type: 'feed',
      linkPattern: '/2026/',
    });
    const bad = await redline([
      '--data-dir',
      dataDir,
      'watch',
      'add',
      index,
      '--feed',
      '--link-pattern',
      '[',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^redline: invalid link pattern "\[": .+\n$/);
  });
});
