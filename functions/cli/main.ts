import { Command, CommanderError, Help } from 'commander';
import { terminalSafe, terminalSafeJson } from '../adapters/terminal.js';
import { InvalidInputError } from '../core/domain/errors.js';
import type { CliContext, CliIo, DefineGroup } from './context.js';
import { UsageError } from './context.js';
import { withRuntime } from './runtime.js';

export type { CliIo } from './context.js';

interface CommandEntry {
  name: string;
  /** How `redline --help` lists it; a unit test checks it against the loaded command. */
  term: string;
  description: string;
  /** Imported only when this command runs (or its help is asked for). */
  load: () => Promise<DefineGroup>;
}

/** Every command, in `--help` order. Each group lives in commands/<group>.ts. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'watch',
    term: 'watch',
    description: 'manage watched URLs',
    load: async () => (await import('./commands/watch.js')).defineWatch,
  },
  {
    name: 'capture',
    term: 'capture [options] <url>',
    description: 'capture a URL now (an unwatched URL becomes an hourly watch if the capture succeeds)',
    load: async () => (await import('./commands/capture.js')).defineCapture,
  },
  {
    name: 'run',
    term: 'run [options]',
    description: 'capture every due watch on its cadence',
    load: async () => (await import('./commands/run.js')).defineRun,
  },
  {
    name: 'serve',
    term: 'serve [options]',
    description: 'the API, Memento and the archive on 127.0.0.1, with the scheduler',
    load: async () => (await import('./commands/serve.js')).defineServe,
  },
  {
    name: 'captures',
    term: 'captures [options] <url>',
    description:
      'every capture of a URL, oldest first: complete, partial, failed (with reason) and anomalies',
    load: async () => (await import('./commands/history.js')).defineCaptures,
  },
  {
    name: 'versions',
    term: 'versions [options] <url>',
    description: 'list the versions of a watched URL, oldest first',
    load: async () => (await import('./commands/history.js')).defineVersions,
  },
  {
    name: 'get',
    term: 'get [options] <url>',
    description: 'the stored bytes of a snapshot, exactly (hash-verified)',
    load: async () => (await import('./commands/history.js')).defineGet,
  },
  {
    name: 'diff',
    term: 'diff [options] <url>',
    description: 'word diff of the article between two versions',
    load: async () => (await import('./commands/history.js')).defineDiff,
  },
  {
    name: 'verify',
    term: 'verify [options] [url]',
    description:
      "re-hash every stored blob, walk each watch's manifest chain and check every timestamp token (exit 1 on any problem)",
    load: async () => (await import('./commands/verify.js')).defineVerify,
  },
  {
    name: 'compare',
    term: 'compare [options] <old> <new>',
    description: 'run edit detection on two saved HTML or PDF files',
    load: async () => (await import('./commands/compare.js')).defineCompare,
  },
  {
    name: 'export',
    term: 'export [options] <url>',
    description: "a watched URL's versions as one WACZ package (replayable, hash-listed, optionally signed)",
    load: async () => (await import('./commands/export.js')).defineExport,
  },
  {
    name: 'evidence',
    term: 'evidence [options] <url>',
    description:
      'an evidence bundle of two versions: artifacts, diff, manifest chain, timestamp tokens, WACZ, report, SHA256SUMS',
    load: async () => (await import('./commands/evidence.js')).defineEvidence,
  },
];

const defined = new WeakSet<Command>();
/** Commands registered by name only, with the term `--help` lists them by until they are loaded. */
const terms = new WeakMap<Command, string>();

/** Fills in a command registered by name only; idempotent. */
export async function loadCommand(command: Command, context: CliContext): Promise<void> {
  if (defined.has(command)) return;
  const entry = COMMANDS.find((c) => c.name === command.name());
  if (!entry) return;
  (await entry.load())(command, context);
  defined.add(command);
  terms.delete(command);
}

/**
 * The program with every command registered by name and description only: a command's options,
 * subcommands and action (and what they import) are loaded when it is dispatched.
 */
export function buildProgram(io: CliIo): { program: Command; context: CliContext } {
  const program = new Command('redline')
    .description('Archive news articles and reports; notice when a published story is quietly changed.')
    .option('--data-dir <dir>', 'local data directory (default: $REDLINE_HOME or ./.redline)')
    .option(
      '--stack <name>',
      'a deployed stage instead of the data dir, e.g. Redline-prod (default: $REDLINE_STACK); AWS credentials and region as for the AWS CLI',
    )
    .option('--verbose', 'structured logs on stderr')
    .configureHelp({
      // A command not loaded yet has no options or arguments to list: use its entry's term.
      subcommandTerm: (cmd) => terms.get(cmd) ?? new Help().subcommandTerm(cmd),
    })
    .showSuggestionAfterError()
    // Inherited by every command added after this: errors are one `redline: …` line and an exit code.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`redline: ${text.replace(/^error: /, '')}`),
    });
  const context: CliContext = {
    io,
    program,
    out: (text) => io.stdout.write(`${text}\n`),
    // Exact (it parses back to the same strings), with what a terminal acts on escaped as \uXXXX.
    json: (value) => io.stdout.write(`${terminalSafeJson(value)}\n`),
    withRuntime: (work) => withRuntime(program, io, work),
  };
  for (const entry of COMMANDS)
    terms.set(program.command(entry.name).description(entry.description), entry.term);
  program.hook('preSubcommand', (_program, command) => loadCommand(command, context));
  return { program, context };
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const { program, context } = buildProgram(io);
  try {
    // `redline help <command>` shows the command's help without dispatching to it: load it first.
    const helpIndex = argv.indexOf('help');
    if (helpIndex >= 0) {
      const named = program.commands.find((c) => c.name() === argv[helpIndex + 1]);
      if (named) await loadCommand(named, context);
    }
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    const { z } = await import('zod');
    const usage =
      error instanceof UsageError || error instanceof z.ZodError || error instanceof InvalidInputError;
    const message =
      error instanceof z.ZodError ? z.prettifyError(error).replace(/\n/g, '; ') : (error as Error)?.message;
    // Messages carry URLs, reasons and titles from pages: one escaped line.
    io.stderr.write(`redline: ${terminalSafe(message ?? String(error))}\n`);
    return usage ? 2 : 1;
  }
}
