import type * as pkijs from 'pkijs';
import { readTsaRoots } from '../../adapters/tsa/config.js';
import { RedlineError } from '../../core/domain/errors.js';
import { normalizeUrl } from '../../core/domain/url.js';
import {
  type Problem,
  type VerifyProgress,
  type VerifyReport,
  verifyArchive,
} from '../../core/proof/verify.js';
import type { DefineGroup } from '../context.js';

/** The archive did not verify: exit 1, after the problems are printed. */
export class VerificationFailedError extends RedlineError {}

/** The roots tokens must chain to: REDLINE_TSA_CA_FILE, as the capture side reads it. */
function trustedRoots(env: NodeJS.ProcessEnv): pkijs.Certificate[] | undefined {
  const path = env.REDLINE_TSA_CA_FILE?.trim();
  return path ? readTsaRoots(path, env).roots : undefined;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function formatProblem(p: Problem): string {
  const where = [p.url, p.record, p.what].filter(Boolean).join(' · ');
  return `${p.code}  ${where}${p.digest ? `\n    ${p.digest}` : ''}\n    ${p.detail}`;
}

export function formatReport(report: VerifyReport): string {
  const summary =
    `${report.watches} watch${report.watches === 1 ? '' : 'es'}, ${report.versions} versions, ` +
    `${report.captures} captures, ${report.blobs} blobs (${mb(report.bytes)}), ${report.tokens} timestamp tokens`;
  if (report.ok) return `verified: ${summary}; no problems`;
  const n = report.problems.length;
  return [`${n} problem${n === 1 ? '' : 's'} in ${summary}:`, ...report.problems.map(formatProblem)].join(
    '\n',
  );
}

/** `redline verify [URL]`: re-hashes the archive, walks each watch's manifest chain, checks every token. */
export const defineVerify: DefineGroup = (verify, { io, out, json, withRuntime }) => {
  verify
    .argument('[url]', 'one watched URL (default: every watch)')
    .option('--json', 'JSON output: the report, with every problem')
    .action(async (url: string | undefined, options: { json?: boolean }) => {
      if (url) normalizeUrl(url);
      const roots = trustedRoots(io.env);
      const tty = io.stderr.isTTY === true;
      let last = 0;
      const onProgress = (p: VerifyProgress) => {
        const now = Date.now();
        if (now - last < 100) return;
        last = now;
        io.stderr.write(`\r\x1b[K[${p.watch}/${p.watches}] ${p.blobs} blobs, ${mb(p.bytes)}  ${p.url}`);
      };
      const report = await withRuntime((rt) =>
        verifyArchive(rt, {
          ...(url ? { url } : {}),
          ...(roots ? { roots } : {}),
          ...(tty ? { onProgress } : {}),
        }),
      );
      if (tty) io.stderr.write('\r\x1b[K');
      if (options.json) json(report);
      else out(formatReport(report));
      if (!report.ok) {
        throw new VerificationFailedError(
          `the archive did not verify: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`,
        );
      }
    });
};
