import { randomUUID } from 'node:crypto';
import { type FileHandle, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Option } from 'commander';
import { terminalSafe as t } from '../../adapters/terminal.js';
import { VersionNotFoundError, WatchNotFoundError } from '../../core/domain/errors.js';
import { normalizeUrl } from '../../core/domain/url.js';
import { type ExportSummary, exportWacz } from '../../core/proof/export.js';
import type { WaczSigningKey } from '../../core/proof/wacz-sign.js';
import { waczPublicKeyOf } from '../../core/proof/wacz-sign.js';
import { localConfig } from '../../local/config.js';
import { type DefineGroup, positiveInt, UsageError } from '../context.js';

/** `redline export URL [--from N --to M] [--format wacz] -o FILE [--sign]`: a watch's versions as one WACZ. */

const version = positiveInt('version number');

interface ExportFlags {
  from?: number;
  to?: number;
  format: 'wacz';
  output: string;
  sign?: boolean;
  json?: boolean;
}

/** The signing key from REDLINE_WACZ_SIGNING_KEY_FILE, checked before any work (a bad key is the user's to fix). */
async function signingKey(env: NodeJS.ProcessEnv): Promise<WaczSigningKey> {
  const file = localConfig(env, {}).waczSigningKeyFile;
  if (!file) throw new UsageError('--sign needs REDLINE_WACZ_SIGNING_KEY_FILE (a PKCS#8 PEM P-256 key)');
  let key: WaczSigningKey;
  try {
    key = { privateKeyPem: await readFile(file, 'utf8') };
    waczPublicKeyOf(key);
  } catch (cause) {
    throw new UsageError(
      `REDLINE_WACZ_SIGNING_KEY_FILE ${file}: ${(cause as Error).message ?? 'unreadable'}`,
      { cause },
    );
  }
  return key;
}

/** Errors opening the output that are the user's to fix (a folder that does not exist, or is not writable). */
const OUTPUT_ERRORS: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of its path is not a folder',
  EACCES: 'its folder is not writable',
  EPERM: 'its folder is not writable',
  EROFS: 'its folder is on a read-only file system',
};

/**
 * Writes through a temp file beside the target, synced and renamed into place once complete. The temp file
 * is opened before any work, so an output the user cannot write is a UsageError (exit 2) before anything runs.
 */
export async function writeAtomically<T>(target: string, write: (out: Writable) => Promise<T>): Promise<T> {
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(temp, 'wx');
  } catch (cause) {
    const reason = OUTPUT_ERRORS[(cause as NodeJS.ErrnoException).code ?? ''];
    if (reason) throw new UsageError(`cannot write ${target}: ${reason}`, { cause });
    throw cause;
  }
  const stream = handle.createWriteStream();
  const closed = new Promise<void>((resolveClose, reject) => {
    stream.once('close', resolveClose);
    stream.once('error', reject);
  });
  // Observed at once: an error while `write` runs is that call's to report, not an unhandled rejection.
  closed.catch(() => undefined);
  try {
    const result = await write(stream);
    await closed;
    const handle = await open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    return result;
  } catch (error) {
    stream.destroy();
    await closed.catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}

function summaryLine(summary: ExportSummary, file: string): string {
  const problems = summary.problems.length
    ? `; ${summary.problems.length} left out or incomplete: ${summary.problems.map((p) => `v${p.version} ${p.code}`).join(', ')}`
    : '';
  return `${t(summary.url)} v${summary.from}–v${summary.to} → ${t(file)}: ${summary.archived.length} versions, ${summary.bytes} bytes, ${summary.sha256}${summary.signed ? ', signed' : ''}${t(problems)}`;
}

export const defineExport: DefineGroup = (command, { io, out, json, withRuntime }) => {
  command
    .argument('<url>')
    .option('--from <n>', 'first version (default: 1)', version)
    .option('--to <n>', 'last version (default: the latest)', version)
    .addOption(new Option('--format <format>', 'package format').choices(['wacz']).default('wacz'))
    .requiredOption('-o, --output <file>', 'the file to write (replaced atomically)')
    .option('--sign', 'sign the package with the key in REDLINE_WACZ_SIGNING_KEY_FILE')
    .option('--json', 'JSON summary')
    .action(async (url: string, options: ExportFlags) => {
      normalizeUrl(url);
      if (options.from !== undefined && options.to !== undefined && options.from > options.to)
        throw new UsageError(`--from ${options.from} is after --to ${options.to}`);
      const sign = options.sign ? await signingKey(io.env) : undefined;
      const file = resolve(options.output);
      const summary = await withRuntime((rt) =>
        writeAtomically(file, (stream) =>
          exportWacz(
            rt,
            url,
            {
              ...(options.from !== undefined ? { from: options.from } : {}),
              ...(options.to !== undefined ? { to: options.to } : {}),
              ...(sign ? { sign } : {}),
            },
            stream,
          ),
        ),
      ).catch((error: unknown) => {
        // Nothing to export for what the user named: a usage error (exit 2), as an unknown URL elsewhere.
        if (error instanceof WatchNotFoundError || error instanceof VersionNotFoundError)
          throw new UsageError(error.message, { cause: error });
        throw error;
      });
      if (options.json) json({ ...summary, file });
      else out(summaryLine(summary, file));
    });
};
