import { terminalSafe as t } from '../adapters/terminal.js';
import type { RunProgress } from '../core/capture/run-due.js';

/**
 * `redline run`'s progress on a terminal: one status line on stderr, rewritten in place (what is being
 * captured, done/total, elapsed). Nothing at all when stderr is not a terminal (piped, redirected, cron).
 */

/** The part of a stream the progress line needs (a CliIo's stderr, or a fake in tests). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/** `m:ss` (or `h:mm:ss`) for a duration in milliseconds. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** The status line: `[done/total] elapsed capturing URL (+n more)`, cut to `width` characters. */
export function formatProgress(progress: RunProgress, elapsedMs: number, width = 80): string {
  const [first, ...others] = progress.capturing;
  const what = first
    ? ` capturing ${t(first)}${others.length ? ` (+${others.length} more)` : ''}`
    : progress.done >= progress.total
      ? ' done'
      : '';
  const line = `[${progress.done}/${progress.total}] ${formatElapsed(elapsedMs)}${what}`;
  const max = Math.max(20, width - 1);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export interface ProgressDisplay {
  update(progress: RunProgress): void;
  /** Clears the line (before other output) and stops the clock. */
  stop(): void;
}

const CLEAR_LINE = '\r\u001b[K';

/**
 * A progress line on `stream` when it is a terminal, else a display that writes nothing. `now` is the
 * clock the elapsed time is read from; `tickMs` rewrites the line that often so the time moves between
 * events (0: only on events).
 */
export function progressDisplay(
  stream: ProgressStream,
  { now = () => performance.now(), tickMs = 1000 }: { now?: () => number; tickMs?: number } = {},
): ProgressDisplay {
  if (!stream.isTTY) return { update: () => {}, stop: () => {} };
  const started = now();
  let last: RunProgress | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  const draw = () => {
    if (last) stream.write(`${CLEAR_LINE}${formatProgress(last, now() - started, stream.columns || 80)}`);
  };
  return {
    update(progress) {
      last = progress;
      draw();
      if (!timer && tickMs > 0) {
        timer = setInterval(draw, tickMs);
        timer.unref();
      }
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (last) stream.write(CLEAR_LINE);
      last = undefined;
    },
  };
}
