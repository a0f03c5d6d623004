import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';

const run = promisify(execFile);

export interface CliRun {
  code: number;
  stdout: string;
  bytes: Buffer;
  stderr: string;
}

/** The compiled `redline` executable (test/support/build-cli.ts builds it once per run). */
export const redlineBin = (): string => inject('redlineBin');

/** Runs the real, compiled `redline` in a child process with exactly this environment. */
export async function runRedline(
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...nodeArgs, redlineBin(), ...args], {
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
