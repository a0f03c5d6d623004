import { terminalSafe as t } from '../../adapters/terminal.js';
import { captureUrl } from '../../core/capture/capture.js';
import { requestCapture } from '../../core/capture/request-capture.js';
import { normalizeUrl } from '../../core/domain/url.js';
import { CaptureFailedError, type DefineGroup, isRemote, nonNegativeInt } from '../context.js';
import { formatCapture, styleFor } from '../format.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `redline capture URL`: here in local mode; with --stack, queued on the stage and awaited. */
export const defineCapture: DefineGroup = (capture, { io, out, json, withRuntime }) => {
  capture
    .argument('<url>')
    .option('--json', 'JSON output')
    .option(
      '--wait <seconds>',
      'with --stack: how long to wait for the stack to capture it (0: queue and return)',
      nonNegativeInt('number of seconds'),
      300,
    )
    .action(async (url: string, options: { json?: boolean; wait: number }) => {
      normalizeUrl(url);
      await withRuntime(async (rt) => {
        if (isRemote(rt)) {
          const requested = await requestCapture({ ...rt, sleep }, url, options.wait);
          if (requested.state === 'queued') {
            const message = `queued a capture of ${t(normalizeUrl(url))} on ${t(rt.stack)}`;
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
};
