/**
 * HTML article extraction in a worker thread with budgets (the `HtmlExtractor` port of
 * functions/core/detect/content.ts).
 *
 * linkedom and Readability parse on the thread that calls them: a hostile page within the body caps
 * (tens of thousands of elements) can hold the event loop for many seconds, and no signal can stop
 * synchronous code. So the extraction runs in a worker thread: the page string is copied over and the
 * Article back. The DOM lives on the worker's V8 heap, which `resourceLimits.maxOldGenerationSizeMb`
 * bounds (V8 ends the worker, not this process, when it runs out); over the time budget or when the
 * caller's signal aborts, the worker is terminated. Workers are kept warm and reused: one is started on
 * first use, a second only while the first is busy, and a terminated one is replaced on the next call.
 *
 * The worker's entry, `html-extract`, is found beside this module in each layout the code ships in: the
 * TypeScript sources (tests: loaded through ../source-hooks.mjs), the compiled CLI
 * (`dist/cli/html-extract.js`) and the Lambda bundle (`html-extract.mjs` beside `index.mjs`).
 */
import { Worker } from 'node:worker_threads';
import type { Article } from '../../core/detect/article.js';
import type { HtmlExtractOptions, HtmlExtractor } from '../../core/detect/content.js';
import { ExtractError, ExtractLimitError } from '../../core/domain/errors.js';
import { DEFAULT_CAPTURE_OPTIONS } from '../../core/domain/options.js';
import { findEntry } from '../entry.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

export const HTML_DEFAULTS = DEFAULT_CAPTURE_OPTIONS.html;

/** What one extraction cost, for measurements and tests. */
export interface HtmlExtractionStats {
  /** The worker's thread id, to tell a reused worker from a fresh one. */
  threadId: number;
  /** Whether the worker was started for this extraction. */
  started: boolean;
  ms: number;
}

export interface IsolatedHtmlOptions extends HtmlExtractOptions {
  /** Called once the extraction has ended, before the promise settles. */
  onDone?: (stats: HtmlExtractionStats) => void;
}

/** Idle workers kept per heap budget; more than this, started for concurrent pages, are ended when done. */
const MAX_IDLE = 2;
const idle = new Map<number, Worker[]>();
let nextId = 1;

/**
 * Reads an HTML page's article in a worker thread, within `maxMemoryMb` (the worker's heap) and
 * `timeoutMs`. Throws ExtractLimitError naming the budget that ran out, ExtractError when the worker
 * fails otherwise. When it settles over a budget, the worker has been ended.
 */
export function extractHtml(html: string, options: IsolatedHtmlOptions = {}): Promise<Article> {
  const maxMemoryMb = options.maxMemoryMb ?? HTML_DEFAULTS.maxMemoryMb;
  const timeoutMs = options.timeoutMs ?? HTML_DEFAULTS.timeoutMs;
  const { signal } = options;
  if (signal?.aborted)
    return Promise.reject(
      new ExtractLimitError('aborted', 0, 0, 'HTML extraction aborted before it started', {
        cause: signal.reason,
      }),
    );

  const begun = performance.now();
  const elapsed = () => Math.round(performance.now() - begun);
  return new Promise<Article>((resolve, reject) => {
    let worker: Worker;
    let started = false;
    try {
      const warm = idle.get(maxMemoryMb)?.pop();
      started = warm === undefined;
      worker = warm ?? startWorker(maxMemoryMb);
    } catch (error) {
      reject(
        error instanceof ExtractError
          ? error
          : new ExtractError('the HTML extraction worker did not start', { cause: error }),
      );
      return;
    }
    worker.ref();
    const id = nextId++;
    let settled = false;

    const settle = (outcome: () => void, keep: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (keep) release(worker, maxMemoryMb);
      else void worker.terminate();
      options.onDone?.({ threadId: worker.threadId, started, ms: elapsed() });
      outcome();
    };
    const stop = (error: Error) => settle(() => reject(error), false);

    const timer = setTimeout(
      () =>
        stop(
          new ExtractLimitError(
            'time',
            timeoutMs,
            elapsed(),
            `reading the HTML took over the budget of ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    const onAbort = () =>
      stop(
        new ExtractLimitError('aborted', 0, elapsed(), `HTML extraction aborted after ${elapsed()} ms`, {
          cause: signal?.reason,
        }),
      );
    signal?.addEventListener('abort', onAbort, { once: true });

    const onMessage = (reply: WorkerReply) => {
      if (reply.id !== id) return;
      if (reply.ok) settle(() => resolve(reply.article), true);
      else settle(() => reject(new ExtractError(`${reply.name}: ${reply.message}`)), true);
    };
    const onError = (error: Error & { code?: string }) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY')
        stop(
          new ExtractLimitError(
            'memory',
            maxMemoryMb,
            maxMemoryMb,
            `reading the HTML ran out of its ${maxMemoryMb} MB heap`,
            { cause: error },
          ),
        );
      else stop(new ExtractError('the HTML extraction worker failed', { cause: error }));
    };
    const onExit = (code: number) =>
      stop(new ExtractError(`the HTML extraction worker ended without an answer (exit code ${code})`));
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    const request: WorkerRequest = { id, html };
    try {
      worker.postMessage(request);
    } catch (error) {
      stop(new ExtractError('the HTML could not be handed to the extraction worker', { cause: error }));
    }
  });
}

/** The port, for wiring into CaptureDeps and the CLI. */
export const isolatedHtmlExtractor: HtmlExtractor = (html, options) => extractHtml(html, options);

function startWorker(maxMemoryMb: number): Worker {
  const entry = workerEntry();
  const worker = new Worker(entry.url, {
    execArgv: entry.execArgv,
    resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb },
    stdout: false,
    stderr: false,
  });
  // An idle worker that dies (it should not) is dropped from the pool; a busy one is handled by its call.
  worker.on('exit', () => {
    const list = idle.get(maxMemoryMb);
    const at = list?.indexOf(worker) ?? -1;
    if (list && at >= 0) list.splice(at, 1);
  });
  worker.on('error', () => {});
  return worker;
}

/** Puts a worker back for the next page, not holding the process open; one too many is ended. */
function release(worker: Worker, maxMemoryMb: number): void {
  const list = idle.get(maxMemoryMb) ?? [];
  idle.set(maxMemoryMb, list);
  if (list.length >= MAX_IDLE) {
    void worker.terminate();
    return;
  }
  worker.unref();
  list.push(worker);
}

/** Ends the idle workers (tests, a clean shutdown). */
export async function stopHtmlWorkers(): Promise<void> {
  const all = [...idle.values()].flat();
  idle.clear();
  await Promise.all(all.map((worker) => worker.terminate()));
}

/** The worker's entry and the Node flags it needs, in whichever layout this module runs (entry.ts). */
function workerEntry(): { url: URL; execArgv: string[] } {
  const entry = findEntry(import.meta.url, { source: 'html-extract', compiled: 'html-extract' });
  if ('missing' in entry)
    throw new ExtractError(`the HTML extraction entry is missing: looked for ${entry.missing.join(', ')}`);
  return entry;
}
