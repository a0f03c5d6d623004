import { writeFile } from 'node:fs/promises';
import { Option } from 'commander';
import { z } from 'zod';
import { renderDiffPage } from '../../core/detect/diff-html.js';
import { normalizeUrl, watchIdFor } from '../../core/domain/url.js';
import { diffVersions, getSnapshot, SnapshotFormats } from '../../core/history/history.js';
import { findWatch } from '../../core/watches/watches.js';
import { type DefineGroup, flag, positiveInt, UsageError } from '../context.js';
import { formatCaptureLine, formatEdits, formatVersion, styleFor } from '../format.js';
import { terminalSafe as t } from '../terminal.js';

/** `redline captures|versions|get|diff URL`: what is stored for a watched URL. */

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
      await withRuntime(async (rt) => {
        const list = await rt.captures.listCaptures(watchIdFor(normalized));
        if (options.json) json(list);
        else out(list.length ? list.map(formatCaptureLine).join('\n') : 'no captures');
      });
    });
};

export const defineVersions: DefineGroup = (versions, { out, json, withRuntime }) => {
  versions
    .argument('<url>')
    .option('--json', 'JSON output')
    .action(async (url: string, options: { json?: boolean }) => {
      normalizeUrl(url);
      await withRuntime(async (rt) => {
        const list = await rt.versions.listVersions((await findWatch(rt, url)).id);
        if (options.json) json(list);
        else out(list.length ? list.map(formatVersion).join('\n') : 'no versions yet');
      });
    });
};

export const defineGet: DefineGroup = (get, { io, withRuntime }) => {
  get
    .argument('<url>')
    .option('--version <n>', 'version number', version)
    .option('--at <time>', 'the latest version captured at or before this ISO time', isoTime)
    .addOption(new Option('--format <format>', 'artifact').choices(SnapshotFormats).default('html'))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(
      async (url: string, options: { version?: number; at?: Date; format: 'html'; output?: string }) => {
        normalizeUrl(url);
        if (options.version !== undefined && options.at)
          throw new UsageError('use --version or --at, not both');
        await withRuntime(async (rt) => {
          const watch = await findWatch(rt, url);
          const { version, artifact, bytes } = await getSnapshot(
            rt,
            watch,
            {
              ...(options.version ? { version: options.version } : {}),
              ...(options.at ? { at: options.at } : {}),
            },
            options.format,
          );
          if (options.output) {
            await writeFile(options.output, bytes);
            io.stderr.write(
              `v${t(version.number)} ${t(options.format)} ${t(artifact.digest)} (${bytes.byteLength} bytes) → ${t(options.output)}\n`,
            );
          } else {
            io.stdout.write(bytes);
          }
        });
      },
    );
};

export const defineDiff: DefineGroup = (diff, { io, out, json, withRuntime }) => {
  diff
    .argument('<url>')
    .option('--from <n>', 'older version (default: the one before --to)', version)
    .option('--to <n>', 'newer version (default: the latest)', version)
    .option('--json', 'JSON output')
    .option('--html', 'a standalone HTML page (inline ins/del)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(
      async (
        url: string,
        options: { from?: number; to?: number; json?: boolean; html?: boolean; output?: string },
      ) => {
        normalizeUrl(url);
        if (options.json && options.html) throw new UsageError('use --json or --html, not both');
        await withRuntime(async (rt) => {
          const result = await diffVersions(rt, await findWatch(rt, url), options);
          if (options.html || options.output) {
            const page = renderDiffPage({
              url: result.to.url,
              title: result.to.title,
              from: result.from,
              to: result.to,
              edits: result.edits,
              ...(result.to.silent !== undefined && result.from.number === result.to.number - 1
                ? { silent: result.to.silent }
                : {}),
            });
            if (options.output) {
              await writeFile(options.output, page);
              io.stderr.write(
                `v${t(result.from.number)} → v${t(result.to.number)} diff → ${t(options.output)}\n`,
              );
            } else io.stdout.write(page);
          } else if (options.json) {
            json({
              url: result.to.url,
              from: result.from.number,
              to: result.to.number,
              fromTextHash: result.from.textHash,
              toTextHash: result.to.textHash,
              edits: result.edits,
            });
          } else {
            out(
              `${t(result.to.url)}: v${t(result.from.number)} (${t(result.from.capturedAt)}) → v${t(result.to.number)} (${t(result.to.capturedAt)})`,
            );
            out(formatEdits(result.edits, styleFor(io.stdout)));
          }
        });
      },
    );
};
