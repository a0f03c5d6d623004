import { readFile, writeFile } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { jsonLogger } from '../adapters/json-logger.js';
import { captureUrl } from '../core/capture.js';
import { compareDocuments } from '../core/compare.js';
import { renderDiffPage } from '../core/diff-html.js';
import { InvalidInputError, RedlineError } from '../core/errors.js';
import { diffVersions, getSnapshot, SnapshotFormats } from '../core/history.js';
import { CaptureModeSchema } from '../core/model.js';
import { silentLogger } from '../core/ports.js';
import { requestCapture } from '../core/request-capture.js';
import { captureDueWatches } from '../core/run-due.js';
import { normalizeUrl, parseCadence, watchIdFor } from '../core/url.js';
import { addWatch, findWatch, removeWatch } from '../core/watches.js';
import { localConfig } from '../local/config.js';
import { type LocalRuntime, openLocal } from '../local/runtime.js';
import { openRemote, type RemoteRuntime } from '../remote/runtime.js';
import {
  formatCapture,
  formatCaptureLine,
  formatComparison,
  formatEdits,
  formatVersion,
  formatWatch,
  styleFor,
} from './format.js';

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

/** Parses a flag with a zod schema, turning a failure into commander's one-line usage error. */
const parseWith =
  <T>(schema: z.ZodType<T>, what: string) =>
  (value: string): T => {
    const result = schema.safeParse(value);
    if (!result.success) throw new InvalidArgumentError(`invalid ${what}: ${JSON.stringify(value)}`);
    return result.data;
  };

const positiveInt = parseWith(z.coerce.number().int().min(1), 'version number');
const isoTime = parseWith(
  z.iso
    .datetime({ offset: true })
    .or(z.iso.date())
    .transform((s) => new Date(s)),
  'time (use ISO 8601, e.g. 2026-11-26T12:00:00Z)',
);
const cadence = (value: string) => {
  try {
    return parseCadence(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};
const nonNegativeInt = parseWith(z.coerce.number().int().min(0), 'number of seconds');
const collect = (value: string, previous: string[]) => [...previous, value];
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const isRemote = (rt: LocalRuntime | RemoteRuntime): rt is RemoteRuntime => 'queue' in rt;

export function buildProgram(io: CliIo): Command {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const json = (value: unknown) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  const program = new Command('redline')
    .description('Archive news articles and reports; notice when a published story is quietly changed.')
    .option('--data-dir <dir>', 'local data directory (default: $REDLINE_HOME or ./.redline)')
    .option(
      '--stack <name>',
      'a deployed stage instead of the data dir, e.g. Redline-prod (default: $REDLINE_STACK); AWS credentials and region as for the AWS CLI',
    )
    .option('--verbose', 'structured logs on stderr')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`redline: ${text.replace(/^error: /, '')}`),
    })
    .showSuggestionAfterError();

  /** The data dir, or the deployed stage named by --stack / $REDLINE_STACK: the same commands on either. */
  const withRuntime = async <T>(work: (runtime: LocalRuntime | RemoteRuntime) => Promise<T>): Promise<T> => {
    const globals = program.opts<{ dataDir?: string; verbose?: boolean; stack?: string }>();
    const stack = globals.stack ?? io.env.REDLINE_STACK;
    if (stack && globals.dataDir) throw new UsageError('use --stack or --data-dir, not both');
    const runtime = stack
      ? await openRemote(stack, io.env)
      : await openLocal(localConfig(io.env, globals), globals.verbose ? jsonLogger() : silentLogger);
    try {
      return await work(runtime);
    } finally {
      await runtime.close();
    }
  };

  const watch = program.command('watch').description('manage watched URLs');
  watch
    .command('add')
    .argument('<url>', 'http(s) URL to watch')
    .option('--every <cadence>', 'capture cadence: 15m, 1h, 1d, …', cadence, 3600)
    .addOption(new Option('--mode <mode>', 'capture mode').choices(CaptureModeSchema.options).default('auto'))
    .option('--tag <tag>', 'tag (repeatable)', collect, [])
    .option('--ignore-robots <reason>', 'do not honour robots.txt for this URL; the reason is recorded')
    .option('--feed', 'an RSS/Atom feed, a (news) sitemap or an index page: its links become article watches')
    .option('--link-pattern <regex>', 'with --feed on an HTML index page: which links are articles')
    .description('watch a URL (updates the settings of a URL already watched)')
    .action(
      async (url: string, options: { every: number; mode: 'auto'; tag: string[]; ignoreRobots?: string }) => {
        normalizeUrl(url);
        if (options.ignoreRobots !== undefined && !options.ignoreRobots.trim()) {
          throw new UsageError('--ignore-robots needs a reason');
        }
        await withRuntime(async (rt) => {
          const { watch, created } = await addWatch(rt, {
            url,
            cadenceSeconds: options.every,
            mode: options.mode,
            tags: options.tag,
            ...(options.ignoreRobots ? { ignoreRobots: options.ignoreRobots } : {}),
          });
          out(`${created ? 'watching' : 'updated'} ${formatWatch(watch)}`);
        });
      },
    );
  watch
    .command('list')
    .option('--json', 'JSON output')
    .description('list watches')
    .action(async (options: { json?: boolean }) => {
      await withRuntime(async (rt) => {
        const watches = await rt.watches.listWatches();
        if (options.json) json(watches);
        else out(watches.length ? watches.map(formatWatch).join('\n') : 'no watches');
      });
    });
  watch
    .command('remove')
    .argument('<url>')
    .description('stop watching a URL (its captures and versions are kept)')
    .action(async (url: string) => {
      normalizeUrl(url);
      await withRuntime(async (rt) => out(`removed ${(await removeWatch(rt, url)).url}`));
    });

  program
    .command('capture')
    .argument('<url>')
    .option('--json', 'JSON output')
    .option(
      '--wait <seconds>',
      'with --stack: how long to wait for the stack to capture it (0: queue and return)',
      (v) => nonNegativeInt(v),
      300,
    )
    .description('capture a URL now (an unwatched URL becomes an hourly watch if the capture succeeds)')
    .action(async (url: string, options: { json?: boolean; wait: number }) => {
      normalizeUrl(url);
      await withRuntime(async (rt) => {
        if (isRemote(rt)) {
          const requested = await requestCapture({ ...rt, sleep }, url, options.wait);
          if (requested.state === 'queued') {
            const message = `queued a capture of ${normalizeUrl(url)} on ${rt.stack}`;
            if (options.json) json({ queued: true, watchId: requested.watchId, stack: rt.stack });
            else out(`${message}${options.wait ? `; not captured within ${options.wait}s` : ''}`);
            if (options.wait)
              throw new CaptureFailedError(`${message}, not captured within ${options.wait}s`);
            return;
          }
          const result = {
            capture: requested.capture,
            ...(requested.version ? { version: requested.version } : {}),
          };
          if (options.json) json(result);
          else out(formatCapture(result, styleFor(io.stdout)));
          if (result.capture.status === 'failed') {
            throw new CaptureFailedError(`capture of ${result.capture.url} failed: ${result.capture.reason}`);
          }
          return;
        }
        const result = await captureUrl(rt, url);
        if (options.json) json(result);
        else out(formatCapture(result, styleFor(io.stdout)));
        if (result.capture.status === 'failed') {
          throw new CaptureFailedError(`capture of ${result.capture.url} failed: ${result.capture.reason}`);
        }
      });
    });

  program
    .command('run')
    .option('--once', 'one pass over the due watches, then exit')
    .option('--poll <seconds>', 'seconds between passes', (v) => positiveInt(v), 30)
    .description('capture every due watch on its cadence')
    .action(async (options: { once?: boolean; poll: number }) => {
      await withRuntime(async (rt) => {
        if (isRemote(rt))
          throw new UsageError(
            `${rt.stack} captures on its own schedule (EventBridge Scheduler); \`run\` is for local mode`,
          );
        const style = styleFor(io.stdout);
        let stopping = false;
        const stop = () => {
          stopping = true;
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          do {
            const summary = await captureDueWatches(rt);
            for (const result of summary.results) out(formatCapture(result, style));
            if (options.once) {
              out(`${summary.due} due, ${summary.results.length} captured`);
              break;
            }
            for (let waited = 0; waited < options.poll * 1000 && !stopping; waited += 250) {
              await new Promise((resolve) => setTimeout(resolve, 250));
            }
          } while (!stopping);
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      });
    });

  program
    .command('captures')
    .argument('<url>')
    .option('--json', 'JSON output')
    .description(
      'every capture of a URL, oldest first: complete, partial, failed (with reason) and anomalies',
    )
    .action(async (url: string, options: { json?: boolean }) => {
      const normalized = normalizeUrl(url);
      await withRuntime(async (rt) => {
        const captures = await rt.captures.listCaptures(watchIdFor(normalized));
        if (options.json) json(captures);
        else out(captures.length ? captures.map(formatCaptureLine).join('\n') : 'no captures');
      });
    });

  program
    .command('versions')
    .argument('<url>')
    .option('--json', 'JSON output')
    .description('list the versions of a watched URL, oldest first')
    .action(async (url: string, options: { json?: boolean }) => {
      normalizeUrl(url);
      await withRuntime(async (rt) => {
        const versions = await rt.versions.listVersions((await findWatch(rt, url)).id);
        if (options.json) json(versions);
        else out(versions.length ? versions.map(formatVersion).join('\n') : 'no versions yet');
      });
    });

  program
    .command('get')
    .argument('<url>')
    .option('--version <n>', 'version number', positiveInt)
    .option('--at <time>', 'the latest version captured at or before this ISO time', isoTime)
    .addOption(new Option('--format <format>', 'artifact').choices(SnapshotFormats).default('html'))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .description('the stored bytes of a snapshot, exactly (hash-verified)')
    .action(
      async (url: string, options: { version?: number; at?: Date; format: 'html'; output?: string }) => {
        normalizeUrl(url);
        if (options.version !== undefined && options.at)
          throw new UsageError('use --version or --at, not both');
        await withRuntime(async (rt) => {
          const watch = await findWatch(rt, url);
          const { version, artifact, bytes } = await getSnapshot(
            rt,
            watch,
            {
              ...(options.version ? { version: options.version } : {}),
              ...(options.at ? { at: options.at } : {}),
            },
            options.format,
          );
          if (options.output) {
            await writeFile(options.output, bytes);
            io.stderr.write(
              `v${version.number} ${options.format} ${artifact.digest} (${bytes.byteLength} bytes) → ${options.output}\n`,
            );
          } else {
            io.stdout.write(bytes);
          }
        });
      },
    );

  program
    .command('diff')
    .argument('<url>')
    .option('--from <n>', 'older version (default: the one before --to)', positiveInt)
    .option('--to <n>', 'newer version (default: the latest)', positiveInt)
    .option('--json', 'JSON output')
    .option('--html', 'a standalone HTML page (inline ins/del)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .description('word diff of the article between two versions')
    .action(
      async (
        url: string,
        options: { from?: number; to?: number; json?: boolean; html?: boolean; output?: string },
      ) => {
        normalizeUrl(url);
        if (options.json && options.html) throw new UsageError('use --json or --html, not both');
        await withRuntime(async (rt) => {
          const diff = await diffVersions(rt, await findWatch(rt, url), options);
          if (options.html || options.output) {
            const page = renderDiffPage({
              url: diff.to.url,
              title: diff.to.title,
              from: diff.from,
              to: diff.to,
              edits: diff.edits,
              ...(diff.to.silent !== undefined && diff.from.number === diff.to.number - 1
                ? { silent: diff.to.silent }
                : {}),
            });
            if (options.output) {
              await writeFile(options.output, page);
              io.stderr.write(`v${diff.from.number} → v${diff.to.number} diff → ${options.output}\n`);
            } else io.stdout.write(page);
          } else if (options.json) {
            json({
              url: diff.to.url,
              from: diff.from.number,
              to: diff.to.number,
              fromTextHash: diff.from.textHash,
              toTextHash: diff.to.textHash,
              edits: diff.edits,
            });
          } else {
            out(
              `${diff.to.url}: v${diff.from.number} (${diff.from.capturedAt}) → v${diff.to.number} (${diff.to.capturedAt})`,
            );
            out(formatEdits(diff.edits, styleFor(io.stdout)));
          }
        });
      },
    );

  program
    .command('compare')
    .argument('<old>', 'older HTML or PDF file')
    .argument('<new>', 'newer HTML or PDF file')
    .option('--url <url>', 'the page URL the files came from')
    .option('--json', 'JSON output')
    .description('run edit detection on two saved HTML or PDF files')
    .action(async (oldPath: string, newPath: string, options: { url?: string; json?: boolean }) => {
      if (options.url) normalizeUrl(options.url);
      const [oldBytes, newBytes] = await Promise.all([readFile(oldPath), readFile(newPath)]);
      const comparison = await compareDocuments(oldBytes, newBytes, options.url);
      if (options.json) json({ ...(options.url ? { url: options.url } : {}), ...comparison });
      else out(formatComparison(comparison, styleFor(io.stdout)));
    });

  return program;
}

class UsageError extends RedlineError {}
class CaptureFailedError extends RedlineError {}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    const usage =
      error instanceof UsageError || error instanceof z.ZodError || error instanceof InvalidInputError;
    const message =
      error instanceof z.ZodError ? z.prettifyError(error).replace(/\n/g, '; ') : (error as Error)?.message;
    io.stderr.write(`redline: ${message ?? String(error)}\n`);
    return usage ? 2 : 1;
  }
}
