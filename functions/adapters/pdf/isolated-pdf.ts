/**
 * PDF text extraction in a child process with budgets (the `PdfExtractor` port of functions/core/pdf.ts).
 *
 * pdf.js decompresses streams into ArrayBuffers and parses on the thread that calls it, so a hostile PDF
 * can take gigabytes (an inflate bomb) or minutes of uninterrupted CPU (tens of thousands of pages). A
 * worker thread's `resourceLimits` bound only the V8 heap, not ArrayBuffers, so the extraction runs in a
 * separate Node process: this process watches its resident memory (VmRSS, every 25 ms) and its time, and
 * kills it (SIGKILL) over either budget or when the caller's signal aborts. Nothing the PDF does can block
 * this event loop or take this process's memory.
 *
 * The child's entry, `pdf-extract`, is found beside this module in each layout the code ships in: the
 * TypeScript sources (tests: run through tsx), the compiled CLI (`dist/cli/pdf-extract.js`, this code being
 * in `redline.js` or a chunk under it) and the Lambda bundle (`pdf-extract.mjs` beside `index.mjs`).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Article } from '../../core/detect/article.js';
import { PDF_DEFAULTS, type PdfExtractOptions, type PdfExtractor } from '../../core/detect/pdf.js';
import { PdfError, PdfLimitError } from '../../core/domain/errors.js';
import { findEntry } from '../entry.js';
import type { ChildReply, ChildRequest } from './protocol.js';

/** What one extraction cost, for measurements and tests. */
export interface PdfExtractionStats {
  pid: number | undefined;
  /** Highest resident memory of the child seen by the watcher, in MB (0 where /proc is unavailable). */
  peakRssMb: number;
  ms: number;
}

export interface IsolatedPdfOptions extends PdfExtractOptions {
  /** Called once the child has exited, before the promise settles. */
  onExit?: (stats: PdfExtractionStats) => void;
}

const POLL_MS = 25;
const STDERR_KEEP = 4_096;

/**
 * Reads a PDF's text in a child process, within `maxPages`, `maxMemoryMb` (the child's RSS) and
 * `timeoutMs`. Throws PdfLimitError naming the budget that ran out, PdfError for an unreadable PDF.
 * When it settles, the child has exited.
 */
export function extractPdf(bytes: Uint8Array, options: IsolatedPdfOptions = {}): Promise<Article> {
  const maxPages = options.maxPages ?? PDF_DEFAULTS.maxPages;
  const maxMemoryMb = options.maxMemoryMb ?? PDF_DEFAULTS.maxMemoryMb;
  const timeoutMs = options.timeoutMs ?? PDF_DEFAULTS.timeoutMs;
  const { signal } = options;
  if (signal?.aborted)
    return Promise.reject(
      new PdfLimitError('aborted', 0, 0, 'PDF extraction aborted before it started', {
        cause: signal.reason,
      }),
    );

  const started = performance.now();
  return new Promise<Article>((resolve, reject) => {
    let child: ChildProcess;
    try {
      const entry = childEntry();
      child = fork(entry.path, [], {
        execArgv: [...entry.execArgv, `--max-old-space-size=${maxMemoryMb}`],
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
    } catch (error) {
      reject(
        error instanceof PdfError
          ? error
          : new PdfError('the PDF extraction process did not start', { cause: error }),
      );
      return;
    }
    let stopped: Error | undefined;
    let reply: ChildReply | undefined;
    let peakRssMb = 0;
    let stderr = '';
    let settled = false;
    const elapsed = () => Math.round(performance.now() - started);

    const stop = (reason: Error) => {
      stopped ??= reason;
      child.kill('SIGKILL');
    };
    const poll = setInterval(() => {
      const rss = rssMb(child.pid);
      if (rss === undefined) return;
      peakRssMb = Math.max(peakRssMb, rss);
      if (rss > maxMemoryMb)
        stop(
          new PdfLimitError(
            'memory',
            maxMemoryMb,
            rss,
            `reading the PDF took ${rss} MB, over the budget of ${maxMemoryMb} MB`,
          ),
        );
    }, POLL_MS);
    const timer = setTimeout(
      () =>
        stop(
          new PdfLimitError(
            'time',
            timeoutMs,
            elapsed(),
            `reading the PDF took over the budget of ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    const onAbort = () =>
      stop(
        new PdfLimitError('aborted', 0, elapsed(), `PDF extraction aborted after ${elapsed()} ms`, {
          cause: signal?.reason,
        }),
      );
    signal?.addEventListener('abort', onAbort, { once: true });

    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      options.onExit?.({ pid: child.pid, peakRssMb, ms: elapsed() });
      outcome();
    };

    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });
    child.on('message', (message: ChildReply) => {
      reply ??= message;
    });
    child.on('error', (error) => {
      // Failing to spawn emits no 'close'; any other error is followed by one.
      if (child.pid === undefined)
        settle(() => reject(new PdfError('the PDF extraction process did not start', { cause: error })));
      else stop(new PdfError('the PDF extraction process failed', { cause: error }));
    });
    // 'close', not 'exit': by then stderr and the IPC channel are drained, so a reply sent just before
    // exiting has been received.
    child.on('close', (code, exitSignal) => {
      settle(() => {
        if (stopped) return reject(stopped);
        if (reply) return reply.ok ? resolve(reply.article) : reject(errorOf(reply));
        const tail = stderr.trim().split('\n').slice(-3).join(' / ');
        if (/heap out of memory|Allocation failed/i.test(stderr))
          return reject(
            new PdfLimitError(
              'memory',
              maxMemoryMb,
              peakRssMb,
              `reading the PDF ran out of its ${maxMemoryMb} MB heap`,
            ),
          );
        reject(
          new PdfError(
            `the PDF extraction process ended without an answer (${exitSignal ?? `exit code ${code}`})${tail ? `: ${tail}` : ''}`,
          ),
        );
      });
    });
    const request: ChildRequest = { bytes, maxPages };
    child.send(request, (error) => {
      if (error)
        stop(new PdfError('the PDF could not be handed to the extraction process', { cause: error }));
    });
  });
}

/** The port, for wiring into CaptureDeps and the CLI. */
export const isolatedPdfExtractor: PdfExtractor = (bytes, options) => extractPdf(bytes, options);

function errorOf(reply: Extract<ChildReply, { ok: false }>): Error {
  if (reply.limit)
    return new PdfLimitError(reply.limit.limit, reply.limit.budget, reply.limit.observed, reply.message);
  return new PdfError(reply.message);
}

/** The resident memory of a process in MB, from /proc (Linux, Lambda); undefined elsewhere or once it has exited. */
function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** The child's entry and the Node flags it needs, in whichever layout this module runs (entry.ts). */
function childEntry(): { path: string; execArgv: string[] } {
  const entry = findEntry(import.meta.url, { source: 'pdf-extract', compiled: 'pdf-extract' });
  if ('missing' in entry)
    throw new PdfError(`the PDF extraction entry is missing: looked for ${entry.missing.join(', ')}`);
  return { path: fileURLToPath(entry.url), execArgv: entry.execArgv };
}
