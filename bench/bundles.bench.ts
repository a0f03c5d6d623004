/**
 * The functions as CDK ships them: each bundle's unzipped size, each function's init (importing its
 * bundle), and the capture worker's cold start and warm captures on @sparticuz/chromium's Lambda path,
 * each run in a child process that sees only the bundle and the AWS SDK (test/support/shipped.ts), on
 * dynalite and fauxqs, against a news site on 127.0.0.1.
 *
 *   npm run bench:bundles            # 2 cold starts, 5 warm captures
 *   npm run bench:bundles -- 3 10    # more of each
 *
 * Cold start = process start to handler ready (init) + the first capture, which unpacks Chromium, its
 * Amazon Linux 2023 libraries, fonts and SwiftShader into a fresh /tmp, as a new Lambda environment does.
 * Warm = a later capture in the same process (each capture launches its own single-process browser).
 * Peak memory is the RSS of the runner and every process under it (Chromium), sampled every 100 ms.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { EDITED, ORIGINAL, startNewsSite } from '../demo/news-site.js';
import type { Watch } from '../functions/core/domain/model.js';
import { startAwsEmulator, startDynalite } from '../test/support/emulators.js';
import {
  buildSdkNodeModules,
  directoryBytes,
  functionById,
  type LambdaContainer,
  synthesizeApp,
} from '../test/support/shipped.js';
import { EmulatedStage } from '../test/support/shipped-stage.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const coldRounds = Math.max(1, Number(process.argv[2] ?? 2));
const warmRounds = Math.max(1, Number(process.argv[3] ?? 5));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const fileBytes = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

/** Resident memory of a process and all its descendants, from /proc (Linux). */
function treeRss(pid: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      rss.set(Number(entry), Number(fields[21]) * 4096);
    } catch {
      // the process ended while we looked
    }
  }
  let total = 0;
  const pending = [pid];
  for (let guard = 0; pending.length > 0 && guard < 10_000; guard++) {
    const next = pending.pop()!;
    total += rss.get(next) ?? 0;
    pending.push(...(children.get(next) ?? []));
  }
  return total;
}

function sampleMemory(pid: number | undefined) {
  let peak = 0;
  const timer = setInterval(() => {
    if (pid) peak = Math.max(peak, treeRss(pid));
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

const root = mkdtempSync(join(tmpdir(), 'redline-bench-bundles-'));
const synthStart = performance.now();
const assembly = await synthesizeApp(join(root, 'cdk.out'), {
  stage: 'dev',
  tmpdir: join(root, 'synth-tmp'),
});
const synthMs = performance.now() - synthStart;

console.log(`cdk synth (bundling on, dev stage): ${(synthMs / 1000).toFixed(1)} s\n`);
console.log(
  `${'function'.padEnd(16)} ${'unzipped'.padStart(10)} ${'index.mjs'.padStart(10)} ${'source map'.padStart(11)} ${'node_modules'.padStart(13)}`,
);
for (const fn of [...assembly.functions].sort((a, b) => a.id.localeCompare(b.id))) {
  const total = directoryBytes(fn.assetDir);
  const modulesDir = join(fn.assetDir, 'node_modules');
  const modules = existsSync(modulesDir) ? directoryBytes(modulesDir) : 0;
  console.log(
    `${fn.id.padEnd(16)} ${mb(total).padStart(10)} ${mb(fileBytes(join(fn.assetDir, 'index.mjs'))).padStart(10)} ${mb(fileBytes(join(fn.assetDir, 'index.mjs.map'))).padStart(11)} ${mb(modules).padStart(13)}`,
  );
}

buildSdkNodeModules(join(root, 'node_modules'));
const [db, aws, site] = await Promise.all([startDynalite(), startAwsEmulator(), startNewsSite()]);
const stage = new EmulatedStage(assembly, db, aws, { root, region: 'us-east-1', accountId: '000000000000' });
await stage.provision();
const queueUrl = stage.variable(functionById(assembly, 'Planner'), 'QUEUE_URL');

console.log('\ninit (importing the bundle, ms):');
for (const id of ['WatchAdmin', 'Planner']) {
  const container = await stage.start(id);
  console.log(`  ${id.padEnd(14)} ${container.initMs}`);
}
const admin = await stage.start('WatchAdmin');
const added = await admin.invoke<{ ok: boolean; watch: Watch }>({
  action: 'add',
  url: site.articleUrl,
  every: '15m',
});
if (!added.result.ok) throw new Error(`could not add the watch: ${JSON.stringify(added.result)}`);
const watchId = added.result.watch.id;

let round = 0;
/** Queues a capture of the article (edited every other round) and lets the worker take it. */
async function capture(worker: LambdaContainer): Promise<number> {
  round++;
  site.setRound(round, round % 2 ? EDITED : ORIGINAL);
  await aws.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({ watchId, dueAt: new Date().toISOString() }),
    }),
  );
  const { delivered, failed, invocations } = await stage.deliver(worker, queueUrl);
  if (delivered !== 1 || failed.length > 0) throw new Error(`capture failed:\n${worker.output.slice(-4000)}`);
  return invocations[0]!.ms;
}

const cold: { initMs: number; readyMs: number; captureMs: number; peak: number }[] = [];
const warm: number[] = [];
let warmPeak = 0;
for (let i = 0; i < coldRounds; i++) {
  const start = performance.now();
  const worker = await stage.start('CaptureWorker', { REDLINE_ALLOW_PRIVATE_NETWORK: '1' });
  const readyMs = performance.now() - start;
  const memory = sampleMemory(worker.pid);
  const captureMs = await capture(worker);
  cold.push({ initMs: worker.initMs, readyMs, captureMs, peak: memory.stop() });
  if (i === coldRounds - 1) {
    const warmMemory = sampleMemory(worker.pid);
    for (let j = 0; j < warmRounds; j++) warm.push(await capture(worker));
    warmPeak = warmMemory.stop();
  }
  await worker.stop();
}

console.log('\ncapture worker, cold (new process, fresh /tmp):');
for (const [i, c] of cold.entries()) {
  console.log(
    `  #${i + 1}: process start → ready ${c.readyMs.toFixed(0)} ms (import ${c.initMs} ms), first capture ${c.captureMs} ms, total ${(c.readyMs + c.captureMs).toFixed(0)} ms, peak RSS ${mb(c.peak)}`,
  );
}
console.log(
  `capture worker, warm (same process): median ${median(warm)} ms, min ${Math.min(...warm)}, max ${Math.max(...warm)} over ${warm.length} captures, peak RSS ${mb(warmPeak)}`,
);

await stage.stop();
await Promise.all([db.stop(), aws.stop(), site.close()]);
rmSync(root, { recursive: true, force: true });
