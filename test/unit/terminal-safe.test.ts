import { describe, expect, it } from 'vitest';
import { jsonLogger } from '../../functions/adapters/json-logger.js';
import { terminalSafe, terminalSafeJson } from '../../functions/adapters/terminal.js';
import {
  colorStyle,
  formatCapture,
  formatCaptureLine,
  formatEdits,
  formatVersion,
  formatWatch,
  plainStyle,
} from '../../functions/cli/format.js';
import type { CaptureResult } from '../../functions/core/capture/capture.js';
import type { CaptureRecord, Edit, VersionRecord, Watch } from '../../functions/core/domain/model.js';

const ESC = '\u001b';
/** Everything a terminal acts on, as a record from an older version or another writer could hold it. */
const HOSTILE = `a${ESC}[2J${ESC}]0;title\u0007${ESC}]8;;https://evil.example/\u0007link${ESC}]8;;${ESC}\\${ESC}]52;c;cHduZWQ=\u0007\u202eevil\u202c\u2066x\u2069\u009b31m\u0085\u007f\r\nline2\ttab\u2028z`;
const ESCAPED =
  'a\\x1b[2J\\x1b]0;title\\x07\\x1b]8;;https://evil.example/\\x07link\\x1b]8;;\\x1b\\\\x1b]52;c;cHduZWQ=\\x07\\u202eevil\\u202c\\u2066x\\u2069\\x9b31m\\x85\\x7f\\r\\nline2\\ttab\\u2028z';
const RAW_EXCEPT_LAYOUT =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: our own colours are what is counted
const OWN_SGR = /\u001b\[(?:1|2|22|31|32|39)m/g;

describe('terminalSafe', () => {
  it('shows C0, DEL, C1, bidi controls and separators as visible escapes, and keeps the rest', () => {
    expect(terminalSafe(HOSTILE)).toBe(ESCAPED);
    expect(terminalSafe('Café “quotes” — ünïcödé 新闻 \\ back')).toBe('Café “quotes” — ünïcödé 新闻 \\ back');
    expect(terminalSafe('\u0000\u001f\u061c\u200e\u200f\u202a\u2069')).toBe(
      '\\x00\\x1f\\u061c\\u200e\\u200f\\u202a\\u2069',
    );
    expect(terminalSafe('lone \ud800 surrogate')).toBe('lone \\ud800 surrogate');
    expect(terminalSafe(undefined)).toBe('');
    expect(terminalSafe(42)).toBe('42');
  });

  it('--json: the same value, parsed back exactly, with nothing raw a terminal acts on', () => {
    const value = { title: HOSTILE, nested: [{ reason: HOSTILE }] };
    const text = terminalSafeJson(value);
    expect(JSON.parse(text)).toEqual(value);
    expect(text).not.toMatch(RAW_EXCEPT_LAYOUT);
  });

  it('--verbose log lines: exact JSON, one line each, nothing raw', () => {
    const lines: string[] = [];
    jsonLogger({}, (line) => lines.push(line)).info('capture failed', { url: HOSTILE, reason: HOSTILE });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.split('\n')).toEqual([expect.any(String), '']);
    expect(lines[0]).not.toMatch(RAW_EXCEPT_LAYOUT);
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: 'capture failed', url: HOSTILE, reason: HOSTILE });
  });
});

describe('formatters print record text terminal-safe', () => {
  const capture = {
    watchId: 'w_1',
    captureId: 'c_1',
    url: `https://news.example/${HOSTILE}`,
    capturedAt: '2026-11-26T10:00:00.000Z',
    status: 'partial',
    reason: `render: ${HOSTILE}`,
    verdict: 'edited',
    version: 2,
    anomaly: HOSTILE,
    duplicateOf: HOSTILE,
    steps: [],
    artifacts: {},
  } as unknown as CaptureRecord;
  const edit: Edit = {
    kind: 'paragraph_changed',
    index: 0,
    before: `old ${HOSTILE}`,
    after: `new ${HOSTILE}`,
    significance: 'major',
  } as Edit;
  const version = {
    watchId: 'w_1',
    number: 2,
    captureId: 'c_1',
    url: capture.url,
    capturedAt: capture.capturedAt,
    title: HOSTILE,
    textHash: 'sha256:00',
    artifacts: { raw: { digest: 'sha256:00', size: 1, contentType: `text/html; ${HOSTILE}` } },
    edits: [edit],
  } as unknown as VersionRecord;
  const watch = {
    id: 'w_1',
    url: capture.url,
    tags: [HOSTILE],
    ignoreRobots: HOSTILE,
    type: 'feed',
    linkPattern: HOSTILE,
    mode: 'auto',
    cadenceSeconds: 3600,
    latestVersion: 2,
    lastCapturedAt: capture.capturedAt,
    lastStatus: 'partial',
    nextDueAt: capture.capturedAt,
  } as unknown as Watch;
  const result = { capture, version } as unknown as CaptureResult;

  it('capture, capture line, version, edits and watch: escaped, one line per field', () => {
    const outputs = {
      capture: formatCapture(result, plainStyle),
      line: formatCaptureLine(capture),
      version: formatVersion(version),
      edits: formatEdits([edit], plainStyle),
      watch: formatWatch(watch),
    };
    for (const [what, text] of Object.entries(outputs)) {
      expect(text, what).not.toMatch(RAW_EXCEPT_LAYOUT);
      expect(text, what).toContain(ESCAPED);
    }
    expect(outputs.line.split('\n')).toHaveLength(1);
    expect(outputs.watch.split('\n')).toHaveLength(1);
    expect(outputs.version.split('\n')[0]).toBe(`v2  2026-11-26T10:00:00.000Z  ${ESCAPED}`);
  });

  it('keeps the CLI’s own colours: the only raw ESC left are its SGR sequences', () => {
    const text = formatEdits([edit], colorStyle);
    expect(text.match(OWN_SGR)?.length).toBeGreaterThanOrEqual(4);
    expect(text.replace(OWN_SGR, '')).not.toMatch(RAW_EXCEPT_LAYOUT);
    expect(text).toContain(`${ESC}[32m`);
  });
});
