import { type DefineGroup, flag, isRemote, nonNegativeInt, positiveInt, UsageError } from '../context.js';
import { formatCapture, styleFor } from '../format.js';

interface ServeFlags {
  port: number;
  host: string;
  schedule: boolean;
  poll: number;
}

const hostFlag = flag((value: string) => {
  if (!/^[\w.:-]+$/.test(value)) throw new RangeError(value);
  return value;
}, 'host');

/** `redline serve`: the API, Memento and the archive origin on the local data dir, with the scheduler. */
export const defineServe: DefineGroup = (serve, { io, out, withRuntime }) => {
  serve
    .option(
      '--port <n>',
      'the app origin port (the archive origin takes the next one; 0: any free ports)',
      nonNegativeInt('port'),
      8080,
    )
    .option('--host <host>', 'address to bind', hostFlag, '127.0.0.1')
    .option('--no-schedule', 'do not capture due watches in this process')
    .option('--poll <seconds>', 'seconds between scheduler passes', positiveInt('number of seconds'), 30)
    .action(async (options: ServeFlags) => {
      if (options.port > 65534)
        throw new UsageError(`port ${options.port} leaves no room for the archive origin`);
      await withRuntime(async (rt) => {
        if (isRemote(rt))
          throw new UsageError(
            `${rt.stack} is served by its own API (see docs/deploy.md); \`serve\` is for local mode`,
          );
        const { serveLocal } = await import('../../local/serve.js');
        const style = styleFor(io.stdout);
        const server = await serveLocal(rt, {
          host: options.host,
          port: options.port,
          schedule: options.schedule,
          pollSeconds: options.poll,
          onCapture: (result) => out(formatCapture(result, style)),
          onError: (error) =>
            io.stderr.write(`redline: scheduler: ${(error as Error)?.message ?? String(error)}\n`),
        });
        out(`viewer  ${server.urls.app}/`);
        out(`archive ${server.urls.archive}/`);
        out(options.schedule ? 'scheduler running (Ctrl-C to stop)' : 'scheduler off (Ctrl-C to stop)');
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await server.close();
        out('stopped');
      });
    });
};
