import { execFile, spawn } from 'node:child_process';
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

/** A long-running `redline` (e.g. `run`) in a child process: its output so far, and a way to stop it as Ctrl-C does. */
export interface RunningRedline {
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches; rejects if the process exits first or `timeoutMs` passes. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Sends the signal (Ctrl-C's SIGINT by default) and waits for the exit; SIGKILL if none within `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<CliRun>;
}

export function startRedline(args: string[], env: NodeJS.ProcessEnv): RunningRedline {
  const child = spawn(process.execPath, [redlineBin(), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))),
  );
  const stdout = () => Buffer.concat(out).toString();
  return {
    pid: child.pid!,
    stdout,
    stderr: () => err,
    async waitForOutput(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(stdout())) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(
            `redline ${args.join(' ')} exited before printing ${pattern}:\n${stdout()}\n${err}`,
          );
        if (Date.now() > deadline)
          throw new Error(
            `redline ${args.join(' ')} printed no ${pattern} in ${timeoutMs} ms:\n${stdout()}\n${err}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop(signal = 'SIGINT', graceMs = 60_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      const bytes = Buffer.concat(out);
      return { code, stdout: bytes.toString(), bytes, stderr: err };
    },
  };
}
