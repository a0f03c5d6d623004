import { describe, expect, it } from 'vitest';
import {
  formatElapsed,
  formatProgress,
  type ProgressStream,
  progressDisplay,
} from '../../functions/cli/progress.js';
import type { RunProgress } from '../../functions/core/capture/run-due.js';

/** A stderr stand-in: what was written, and whether it says it is a terminal. */
const fakeStderr = (isTTY: boolean, columns = 80) => {
  const written: string[] = [];
  const stream: ProgressStream = { isTTY, columns, write: (text) => written.push(text) };
  return { stream, written };
};

const at = (done: number, total: number, capturing: string[] = []): RunProgress => ({
  done,
  total,
  capturing,
});

describe('run progress', () => {
  it('says what is being captured, done/total and the elapsed time', () => {
    expect(formatProgress(at(1, 3, ['https://news.example/a']), 12_400)).toBe(
      '[1/3] 0:12 capturing https://news.example/a',
    );
    expect(formatProgress(at(0, 3, ['https://a.example/', 'https://b.example/']), 0)).toBe(
      '[0/3] 0:00 capturing https://a.example/ (+1 more)',
    );
    expect(formatProgress(at(3, 3), 3_725_000)).toBe('[3/3] 1:02:05 done');
    expect(formatElapsed(61_999)).toBe('1:01');
  });

  it('fits the terminal width and escapes what a URL could do to the terminal', () => {
    const line = formatProgress(at(0, 1, [`https://x.example/${'a'.repeat(200)}\u001b[2J`]), 0, 40);
    expect(line.length).toBeLessThanOrEqual(39);
    expect(line.endsWith('…')).toBe(true);
    expect(formatProgress(at(0, 1, ['https://x.example/\u001b[2J']), 0)).toContain('\\x1b[2J');
  });

  it('on a terminal, rewrites one line as the pass moves and clears it at the end', () => {
    // Prepare
    const { stream, written } = fakeStderr(true);
    let clock = 1_000;
    const display = progressDisplay(stream, { now: () => clock, tickMs: 0 });
    // Act
    display.update(at(0, 2));
    display.update(at(0, 2, ['https://news.example/a']));
    clock += 5_000;
    display.update(at(1, 2, ['https://news.example/b']));
    display.stop();
    // Assess
    expect(written).toEqual([
      '\r\u001b[K[0/2] 0:00',
      '\r\u001b[K[0/2] 0:00 capturing https://news.example/a',
      '\r\u001b[K[1/2] 0:05 capturing https://news.example/b',
      '\r\u001b[K',
    ]);
  });

  it('takes 80 columns on a terminal that reports none (0)', () => {
    const { stream, written } = fakeStderr(true, 0);
    const display = progressDisplay(stream, { now: () => 0, tickMs: 0 });
    display.update(at(0, 1, ['https://news.example/2026/11/24/flood-barrier']));
    expect(written).toEqual(['\r\u001b[K[0/1] 0:00 capturing https://news.example/2026/11/24/flood-barrier']);
  });

  it('writes nothing at all when stderr is not a terminal', () => {
    const { stream, written } = fakeStderr(false);
    const display = progressDisplay(stream, { tickMs: 0 });
    display.update(at(0, 2, ['https://news.example/a']));
    display.update(at(2, 2));
    display.stop();
    expect(written).toEqual([]);
  });
});
