import { resolve } from 'node:path';
import { z } from 'zod';
import { terminalSafe as t } from '../../adapters/terminal.js';
import { readTsaRoots } from '../../adapters/tsa/config.js';
import { VersionNotFoundError, WatchNotFoundError } from '../../core/domain/errors.js';
import { normalizeUrl } from '../../core/domain/url.js';
import {
  buildEvidence,
  type EvidenceProgress,
  EvidenceRangeError,
  type EvidenceSummary,
} from '../../core/proof/evidence.js';
import { type DefineGroup, positiveInt, UsageError } from '../context.js';
import { writeAtomically } from './export.js';

/**
 * `redline evidence URL --from N --to M -o FILE.zip`: the evidence bundle of two versions and the chain between
 * them, or of one version (`--from N --to N`, or a watch with one version).
 */

const version = positiveInt('version number');

const FlagsSchema = z.object({
  from: z.number().int().min(1).optional(),
  to: z.number().int().min(1).optional(),
  output: z.string().trim().min(1, 'name the file to write with -o'),
  json: z.boolean().optional(),
});

/** The TSA roots (REDLINE_TSA_CA_FILE) copied into the bundle as tsa-ca.pem; none when not configured. */
function tsaRoots(env: NodeJS.ProcessEnv): string | undefined {
  const path = env.REDLINE_TSA_CA_FILE?.trim();
  return path ? readTsaRoots(path, env).pem : undefined;
}

function summaryLine(summary: EvidenceSummary, file: string): string {
  const notes = summary.notes.length
    ? `; ${summary.notes.length} noted in the report: ${summary.notes.slice(0, 5).join('; ')}${summary.notes.length > 5 ? '; …' : ''}`
    : '';
  return `${t(summary.url)} v${summary.from}–v${summary.to} → ${t(file)}: ${summary.files.length} files, ${summary.manifests} manifests, ${summary.tokens} timestamp tokens${summary.wacz ? ', WACZ' : ''}, ${summary.bytes} bytes, ${summary.sha256}${t(notes)}`;
}

export const defineEvidence: DefineGroup = (command, { io, out, json, withRuntime }) => {
  command
    .argument('<url>')
    .option(
      '--from <n>',
      'the version before (default: the one before --to, or --to itself if it is the first)',
      version,
    )
    .option('--to <n>', 'the version after (default: the latest)', version)
    .requiredOption('-o, --output <file>', 'the ZIP to write (replaced atomically)')
    .option('--json', 'JSON summary: every file with its SHA-256')
    .action(async (url: string, raw: Record<string, unknown>) => {
      const flags = FlagsSchema.safeParse(raw);
      if (!flags.success) throw new UsageError(flags.error.issues.map((i) => i.message).join('; '));
      const options = flags.data;
      if (options.from !== undefined && options.to !== undefined && options.from > options.to)
        throw new UsageError(`--from ${options.from} is after --to ${options.to}`);
      normalizeUrl(url);
      const tsaCaPem = tsaRoots(io.env);
      const file = resolve(options.output);
      const tty = io.stderr.isTTY === true;
      let last = 0;
      const onProgress = (p: EvidenceProgress) => {
        const now = Date.now();
        if (now - last < 100) return;
        last = now;
        io.stderr.write(`\r\x1b[Kevidence: ${p.step} ${p.done}/${p.total}`);
      };
      const summary = await withRuntime((rt) =>
        writeAtomically(file, (stream) =>
          buildEvidence(
            rt,
            url,
            {
              ...(options.from !== undefined ? { from: options.from } : {}),
              ...(options.to !== undefined ? { to: options.to } : {}),
              ...(tsaCaPem !== undefined ? { tsaCaPem } : {}),
              ...(tty ? { onProgress } : {}),
            },
            stream,
          ),
        ),
      )
        .catch((error: unknown) => {
          // Nothing to bundle for what the user named: a usage error (exit 2), as an unknown URL elsewhere.
          if (error instanceof WatchNotFoundError || error instanceof VersionNotFoundError)
            throw new UsageError(error.message, { cause: error });
          if (error instanceof EvidenceRangeError)
            throw new UsageError(
              error.problem === 'reversed'
                ? `--from ${error.from} is after --to ${error.to}`
                : `--to ${error.to}: ${error.message}`,
              { cause: error },
            );
          throw error;
        })
        .finally(() => {
          if (tty) io.stderr.write('\r\x1b[K');
        });
      if (!summary.tokensChecked && summary.tokens > 0)
        io.stderr.write(
          `warning: the ${summary.tokens} timestamp tokens were not checked and tsa-ca.pem is not in the bundle: set REDLINE_TSA_CA_FILE to the authorities' root certificates\n`,
        );
      if (options.json) json({ ...summary, file });
      else out(summaryLine(summary, file));
    });
};
