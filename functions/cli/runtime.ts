import type { Command } from 'commander';
import { silentLogger } from '../core/domain/ports.js';
import { type CliIo, type Runtime, UsageError } from './context.js';

/**
 * Opens the runtime a command works on and closes it after: the local data dir (a client of the data
 * dir's store process, started on demand and shared with every other redline process on it; Chromium on
 * demand) or a deployed stage. Each is imported only when a command needs it, so `--help` and `compare`
 * load neither the AWS SDK nor dynalite nor Chromium.
 */
export async function withRuntime<T>(
  program: Command,
  io: CliIo,
  work: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const globals = program.opts<{ dataDir?: string; verbose?: boolean; stack?: string }>();
  const stack = globals.stack ?? io.env.REDLINE_STACK;
  if (stack && globals.dataDir) throw new UsageError('use --stack or --data-dir, not both');
  let runtime: Runtime;
  if (stack) {
    const { openRemote } = await import('../remote/runtime.js');
    runtime = await openRemote(stack, io.env);
  } else {
    const [{ openLocal }, { localConfig }] = await Promise.all([
      import('../local/runtime.js'),
      import('../local/config.js'),
    ]);
    const config = localConfig(io.env, globals);
    const logger = globals.verbose ? (await import('../adapters/json-logger.js')).jsonLogger() : silentLogger;
    runtime = await openLocal(config, logger);
  }
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}
