import { terminalSafe as t } from '../../adapters/terminal.js';
import { captureDueWatches } from '../../core/capture/run-due.js';
import { type DefineGroup, isRemote, positiveInt, UsageError } from '../context.js';
import { formatCapture, styleFor } from '../format.js';
import { progressDisplay } from '../progress.js';

/** `redline run`: local mode's scheduler (a deployed stage has EventBridge Scheduler). */
export const defineRun: DefineGroup = (run, { io, out, program, withRuntime }) => {
  run
    .option('--once', 'one pass over the due watches, then exit')
    .option('--poll <seconds>', 'seconds between passes', positiveInt('number of seconds'), 30)
    .action(async (options: { once?: boolean; poll: number }) => {
      await withRuntime(async (rt) => {
        if (isRemote(rt))
          throw new UsageError(
            `${t(rt.stack)} captures on its own schedule (EventBridge Scheduler); \`run\` is for local mode`,
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
            // Progress on a terminal only (stderr): a pipe or a log file gets the results alone, and
            // --verbose's log lines on stderr are not interleaved with a line rewritten in place.
            const verbose = program.opts<{ verbose?: boolean }>().verbose;
            const progress = progressDisplay(verbose ? { isTTY: false, write: () => true } : io.stderr);
            const summary = await captureDueWatches(rt, { onProgress: progress.update }).finally(
              progress.stop,
            );
            for (const result of summary.results) out(formatCapture(result, style));
            if (options.once) {
              out(`${t(summary.due)} due, ${summary.results.length} captured`);
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
};
