/**
 * `npm run demo`: offline and self-contained. Serves a small news site on 127.0.0.1, watches its article,
 * captures three rounds (original; only ads, counters and timestamps changed; the article edited), and
 * shows what Redline recorded. Every step runs the real CLI code against a real local data dir.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../functions/cli/main.js';
import { EDITED, ORIGINAL, startNewsSite } from './news-site.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const dataDir = resolve(process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'redline-demo-'))));
// The demo site lives on 127.0.0.1, which Redline refuses by default: opt in for this process only.
const env = { ...process.env, REDLINE_HOME: dataDir, REDLINE_ALLOW_PRIVATE_NETWORK: '1' };
const io = { stdout: process.stdout, stderr: process.stderr, env };

async function redline(...args: string[]): Promise<void> {
  process.stdout.write(`\n\u001b[1m$ redline ${args.join(' ')}\u001b[22m\n`);
  const code = await runCli(args, io);
  if (code !== 0) throw new Error(`redline ${args[0]} exited with ${code}`);
}

const site = await startNewsSite();
try {
  const url = site.articleUrl;
  console.log(`Demo news site at ${site.url}; data dir ${dataDir}`);

  console.log('\n── Round 1: the article as first published');
  await redline('watch', 'add', url, '--every', '15m', '--tag', 'demo');
  await redline('capture', url);

  console.log('\n── Round 2: only the ad, view counter, "updated N minutes ago" and page timestamp change');
  site.setRound(2, ORIGINAL);
  await redline('capture', url);

  console.log(
    '\n── Round 3: the publisher quietly edits the headline, the vote count and the last paragraph',
  );
  site.setRound(3, EDITED);
  await redline('capture', url);

  await redline('versions', url);
  await redline('diff', url);

  const lines = (await readFile(join(dataDir, 'notifications.jsonl'), 'utf8')).trim().split('\n');
  console.log(`\nNotifications (${join(dataDir, 'notifications.jsonl')}): ${lines.length}`);
  const last = JSON.parse(lines.at(-1)!) as {
    title: string;
    oldVersion: number;
    newVersion: number;
    diff: string;
  };
  console.log(
    `  "${last.title}" v${last.oldVersion} → v${last.newVersion}\n${last.diff.replace(/^/gm, '    ')}`,
  );

  await redline('diff', url, '--html', '-o', join(dataDir, 'diff-v1-v2.html'));
  const png = join(dataDir, 'v1.png');
  await redline('get', url, '--version', '1', '--format', 'png', '-o', png);
  console.log(`\nSnapshots are content-addressed under ${join(dataDir, 'blobs')}.`);
  console.log(`Explore further: REDLINE_HOME=${dataDir} npx redline versions ${url}`);
} finally {
  await site.close();
}
