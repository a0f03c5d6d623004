import { terminalSafe as t } from '../adapters/terminal.js';
import type { CaptureResult } from '../core/capture/capture.js';
import type { Comparison } from '../core/detect/compare.js';
import { wordDiff } from '../core/detect/diff.js';
import type { CaptureRecord, Edit, VersionRecord, Watch } from '../core/domain/model.js';
import { formatCadence } from '../core/domain/url.js';
import { formatsOf } from '../core/history/history.js';

/**
 * Human-readable output. Every value that came from a page, a server or a record goes through
 * `terminalSafe` (here `t`) before the CLI's own layout and colours are put around it.
 */

export interface Style {
  ins(text: string): string;
  del(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const ansi = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
export const colorStyle: Style = {
  ins: ansi(32, 39),
  del: ansi(31, 39),
  dim: ansi(2, 22),
  bold: ansi(1, 22),
};
export const plainStyle: Style = {
  ins: (text) => `{+${text}+}`,
  del: (text) => `[-${text}-]`,
  dim: (text) => text,
  bold: (text) => text,
};

export function styleFor(stream: NodeJS.WriteStream): Style {
  return stream.isTTY && !process.env.NO_COLOR ? colorStyle : plainStyle;
}

/**
 * The state of a watch's latest capture: its status and time, why (an anomaly's kind and HTTP status, a
 * failure's or a partial capture's reason), and an anomaly still open when a capture failed after it.
 * `latest` (the latest capture record) adds the HTTP status and the reason the watch record lacks.
 */
export function formatLastCapture(watch: Watch, latest?: CaptureRecord): string {
  if (!watch.lastCapturedAt) return 'never captured';
  const capture = latest?.capturedAt === watch.lastCapturedAt ? latest : undefined;
  const failed = watch.lastStatus === 'failed';
  // A failed capture leaves lastAnomaly as it was: the anomaly before it is still open.
  const anomaly = failed ? undefined : watch.lastAnomaly || undefined;
  const http = capture?.http && capture.http.status !== 200 ? `HTTP ${t(capture.http.status)}` : '';
  const why = anomaly
    ? [
        [http, t(anomaly)].filter(Boolean).join(': '),
        watch.lastStatus === 'partial' ? t(capture?.reason) : '',
      ]
    : [watch.lastStatus === 'complete' ? '' : t(capture?.reason)];
  const details = why.filter(Boolean).join('; ');
  const state = anomaly ? `anomaly${watch.lastStatus === 'partial' ? ', partial' : ''}` : t(watch.lastStatus);
  const open = failed && watch.lastAnomaly ? `; open anomaly: ${t(watch.lastAnomaly)}` : '';
  return `last ${state} ${t(watch.lastCapturedAt)}${details ? ` (${details})` : ''}${open}`;
}

export function formatWatch(watch: Watch, latest?: CaptureRecord): string {
  const tags = watch.tags.length ? ` [${watch.tags.map(t).join(', ')}]` : '';
  const robots = watch.ignoreRobots ? `; robots.txt ignored: ${t(watch.ignoreRobots)}` : '';
  const status = formatLastCapture(watch, latest);
  const every = watch.firstSeenAt ? 'by age' : formatCadence(watch.cadenceSeconds);
  const type =
    watch.type === 'feed'
      ? `, feed${watch.linkPattern ? ` (links matching /${t(watch.linkPattern)}/)` : ''}`
      : '';
  return `${t(watch.url)}  every ${every}, ${t(watch.mode)}${type}${tags}; versions: ${t(watch.latestVersion)}; ${status}; next ${t(watch.nextDueAt)}${robots}`;
}

export function formatEdit(edit: Edit, style: Style): string {
  const label = style.bold(
    `${t(edit.kind)}${edit.index === undefined ? '' : ` #${t(edit.index + 1)}`} (${t(edit.significance)})`,
  );
  if (edit.before !== undefined && edit.after !== undefined) {
    const body = wordDiff(edit.before, edit.after)
      .map((part) =>
        part.op === 'ins'
          ? style.ins(t(part.text))
          : part.op === 'del'
            ? style.del(t(part.text))
            : t(part.text),
      )
      .join('');
    return `${label}\n  ${body}`;
  }
  if (edit.after !== undefined) return `${label}\n  ${style.ins(t(edit.after))}`;
  if (edit.before !== undefined) return `${label}\n  ${style.del(t(edit.before))}`;
  return label;
}

export function formatEdits(edits: Edit[], style: Style): string {
  return edits.length === 0 ? '(no edits)' : edits.map((edit) => formatEdit(edit, style)).join('\n');
}

export function formatVersion(version: VersionRecord): string {
  const artifacts = Object.entries(version.artifacts)
    .map(
      ([kind, ref]) =>
        `    ${t(kind).padEnd(10)} ${t(ref.digest)}  ${t(ref.size)} bytes  ${t(ref.contentType)}`,
    )
    .join('\n');
  const notes = [
    version.revertOf ? `revert to v${t(version.revertOf)}` : '',
    version.silent ? 'silent' : '',
    version.alert === 'rate_limited' ? 'alert held back (rate limit)' : '',
  ].filter(Boolean);
  const kinds = version.edits.map((e) => t(e.kind)).join(', ');
  const edits = kinds || notes.length ? ` — ${[kinds, ...notes].filter(Boolean).join('; ')}` : '';
  return `v${t(version.number)}  ${t(version.capturedAt)}  ${t(version.title)}\n  text ${t(version.textHash)}${edits}\n${artifacts}`;
}

function editNotes(version: VersionRecord | undefined): string {
  if (!version) return '';
  return [
    version.revertOf ? ` (same words as v${t(version.revertOf)})` : '',
    version.silent ? ' — silent: the page’s dateModified did not change (or the page shows none)' : '',
    version.alert === 'rate_limited' ? ' — alert held back by the rate limit' : '',
  ].join('');
}

export function formatCapture(result: CaptureResult, style: Style): string {
  const { capture, version } = result;
  const lines = [`${t(capture.url)}: ${t(capture.status)}${capture.reason ? ` (${t(capture.reason)})` : ''}`];
  if (capture.verdict) {
    const what =
      capture.verdict === 'first'
        ? `first version v${t(version?.number)}`
        : capture.verdict === 'edited'
          ? `edited: new version v${t(version?.number)}${editNotes(version)}`
          : capture.verdict === 'anomaly'
            ? `capture anomaly: ${t(capture.anomaly)} (not an edit; ${capture.version ? `baseline v${t(capture.version)} kept` : 'no version yet'})`
            : `unchanged since v${t(capture.version)}`;
    // No version names an anomaly's or an unchanged capture's artifacts: `get --capture ID` reads them.
    const id =
      capture.verdict === 'anomaly' || capture.verdict === 'unchanged'
        ? `; capture ${t(capture.captureId)}`
        : '';
    lines.push(`  ${what}${id}`);
  }
  if (capture.discovered !== undefined)
    lines.push(`  feed: ${t(capture.links)} article links, ${t(capture.discovered)} new watches`);
  if (capture.duplicateOf)
    lines.push(
      `  duplicate of the watched ${t(capture.duplicateOf)} (rel=canonical): this watch was removed`,
    );
  if (result.version?.edits.length) lines.push(formatEdits(result.version.edits, style).replace(/^/gm, '  '));
  return lines.join('\n');
}

/** One capture: time, id (for `get --capture`), status, verdict, version, reason, and what it stored. */
export function formatCaptureLine(capture: CaptureRecord): string {
  const verdict = capture.verdict === 'anomaly' ? `anomaly: ${t(capture.anomaly)}` : t(capture.verdict);
  const version = capture.version ? ` v${t(capture.version)}` : '';
  const reason = capture.status !== 'complete' && capture.reason ? ` — ${t(capture.reason)}` : '';
  const formats = formatsOf(capture.artifacts);
  const stored = formats.length ? `  [${formats.join(', ')}]` : '';
  return `${t(capture.capturedAt)}  ${t(capture.captureId)}  ${t(capture.status).padEnd(8)} ${verdict}${version}${reason}${stored}`;
}

export function formatComparison(comparison: Comparison, style: Style): string {
  const head =
    comparison.verdict === 'anomaly'
      ? `anomaly: ${t(comparison.anomaly)}`
      : comparison.verdict === 'edited'
        ? `edited (${comparison.edits.length} edit${comparison.edits.length === 1 ? '' : 's'})`
        : 'unchanged';
  const body = comparison.verdict === 'edited' ? `\n${formatEdits(comparison.edits, style)}` : '';
  return `${head}\n  old ${t(comparison.oldHash)}\n  new ${t(comparison.newHash)}${body}`;
}
