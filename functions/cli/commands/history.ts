import { writeFile } from 'node:fs/promises';
import { Option } from 'commander';
import { z } from 'zod';
import { terminalSafe as t } from '../../adapters/terminal.js';
import { renderDiffPage } from '../../core/detect/diff-html.js';
import { WatchNotFoundError } from '../../core/domain/errors.js';
import { normalizeUrl, watchIdFor } from '../../core/domain/url.js';
import {
  diffVersions,
  findHistory,
  getCaptureArtifact,
  getSnapshot,
  SnapshotFormats,
  type VersionDiff,
} from '../../core/history/history.js';
import { type DefineGroup, flag, lookingUp, positiveInt, UsageError } from '../context.js';
import {
  formatCaptureLine,
  formatEdits,
  formatVersion,
  plainStyle,
  type Style,
  styleFor,
} from '../format.js';

/**
 * `redline captures|versions|get|diff URL`: what is stored for a URL, watched or removed (history is
 * keyed by the watch id, the hash of the normalized URL, and kept when the watch is removed).
 */

const version = positiveInt('version number');
const IsoTimeSchema = z.iso.datetime({ offset: true }).or(z.iso.date());
const isoTime = flag(
  (value) => new Date(IsoTimeSchema.parse(value)),
  'time (use ISO 8601, e.g. 2026-11-26T12:00:00Z)',
);

export const defineCaptures: DefineGroup = (captures, { out, json, withRuntime }) => {
  captures
    .argument('<url>')
    .option('--json', 'JSON output')
    .action(async (url: string, options: { json?: boolean }) => {
      const normalized = normalizeUrl(url);
      await lookingUp(() =>
        withRuntime(async (rt) => {
          const id = watchIdFor(normalized);
          const list = await rt.captures.listCaptures(id);
          if (list.length === 0 && !(await rt.watches.getWatch(id))) throw new WatchNotFoundError(normalized);
          if (options.json) json(list);
          else out(list.length ? list.map(formatCaptureLine).join('\n') : 'no captures');
        }),
      );
    });
};

export const defineVersions: DefineGroup = (versions, { out, json, withRuntime }) => {
  versions
    .argument('<url>')
    .option('--json', 'JSON output')
    .action(async (url: string, options: { json?: boolean }) => {
      normalizeUrl(url);
      await lookingUp(() =>
        withRuntime(async (rt) => {
          const list = await rt.versions.listVersions((await findHistory(rt, url)).id);
          if (options.json) json(list);
          else out(list.length ? list.map(formatVersion).join('\n') : 'no versions yet');
        }),
      );
    });
};

interface GetOptions {
  version?: number;
  at?: Date;
  capture?: string;
  format: (typeof SnapshotFormats)[number];
  output?: string;
}

export const defineGet: DefineGroup = (get, { io, withRuntime }) => {
  get
    .argument('<url>')
    .option('--version <n>', 'version number', version)
    .option('--at <time>', 'the latest version captured at or before this ISO time', isoTime)
    .option('--capture <id>', 'any capture by its id (see `captures`): anomalies and unchanged ones too')
    .addOption(new Option('--format <format>', 'artifact').choices(SnapshotFormats).default('html'))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (url: string, options: GetOptions) => {
      normalizeUrl(url);
      const selectors = [
        options.version !== undefined,
        options.at !== undefined,
        options.capture !== undefined,
      ];
      if (selectors.filter(Boolean).length > 1)
        throw new UsageError('use one of --version, --at or --capture');
      await lookingUp(() =>
        withRuntime(async (rt) => {
          const of = await findHistory(rt, url);
          const { label, artifact, bytes } =
            options.capture !== undefined
              ? await getCaptureArtifact(rt, of, options.capture, options.format).then((got) => ({
                  ...got,
                  label: `capture ${t(got.capture.captureId)}`,
                }))
              : await getSnapshot(
                  rt,
                  of,
                  {
                    ...(options.version ? { version: options.version } : {}),
                    ...(options.at ? { at: options.at } : {}),
                  },
                  options.format,
                ).then((got) => ({ ...got, label: `v${t(got.version.number)}` }));
          if (options.output) {
            await writeFile(options.output, bytes);
            io.stderr.write(
              `${label} ${t(options.format)} ${t(artifact.digest)} (${bytes.byteLength} bytes) → ${t(options.output)}\n`,
            );
          } else {
            io.stdout.write(bytes);
          }
        }),
      );
    });
};

interface DiffOptions {
  from?: number;
  to?: number;
  json?: boolean;
  html?: boolean;
  output?: string;
}

const diffJson = (result: VersionDiff) => ({
  url: result.to.url,
  from: result.from.number,
  to: result.to.number,
  fromTextHash: result.from.textHash,
  toTextHash: result.to.textHash,
  edits: result.edits,
});

/** The diff in the format asked for: JSON, the standalone HTML page, or the terminal's text. */
function renderDiff(result: VersionDiff, options: DiffOptions, style: Style): string {
  if (options.html)
    return renderDiffPage({
      url: result.to.url,
      title: result.to.title,
      from: result.from,
      to: result.to,
      edits: result.edits,
      ...(result.to.silent !== undefined && result.from.number === result.to.number - 1
        ? { silent: result.to.silent }
        : {}),
    });
  if (options.json) return `${JSON.stringify(diffJson(result), null, 2)}\n`;
  return [
    `${t(result.to.url)}: v${t(result.from.number)} (${t(result.from.capturedAt)}) → v${t(result.to.number)} (${t(result.to.capturedAt)})`,
    formatEdits(result.edits, style),
    '',
  ].join('\n');
}

export const defineDiff: DefineGroup = (diff, { io, json, withRuntime }) => {
  diff
    .argument('<url>')
    .option('--from <n>', 'older version (default: the one before --to)', version)
    .option('--to <n>', 'newer version (default: the latest)', version)
    .option('--json', 'JSON output')
    .option('--html', 'a standalone HTML page (inline ins/del)')
    .option('-o, --output <file>', 'write to a file (in the format asked for) instead of stdout')
    .action(async (url: string, options: DiffOptions) => {
      normalizeUrl(url);
      if (options.json && options.html) throw new UsageError('use --json or --html, not both');
      await lookingUp(() =>
        withRuntime(async (rt) => {
          const result = await diffVersions(rt, await findHistory(rt, url), options);
          if (options.output) {
            // A file gets no colours: the terminal text as a pipe would get it.
            await writeFile(options.output, renderDiff(result, options, plainStyle));
            const what = options.html ? 'HTML' : options.json ? 'JSON' : 'text';
            io.stderr.write(
              `v${t(result.from.number)} → v${t(result.to.number)} diff (${what}) → ${t(options.output)}\n`,
            );
          } else if (options.json) {
            // On stdout: the same JSON, with what a terminal acts on escaped as \uXXXX.
            json(diffJson(result));
          } else io.stdout.write(renderDiff(result, options, styleFor(io.stdout)));
        }),
      );
    });
};
