import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/redline.js');

export interface CliRun {
  code: number;
  stdout: string;
  bytes: Buffer;
  stderr: string;
}

/** Runs the real `redline` binary in a child process with exactly this environment. */
export async function runRedline(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env,
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout: stdout.toString(), bytes: stdout, stderr: stderr.toString() };
  } catch (error) {
    const e = error as { code: number; stdout: Buffer; stderr: Buffer };
    return { code: e.code, stdout: e.stdout.toString(), bytes: e.stdout, stderr: e.stderr.toString() };
  }
}
