import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import {
  CaptureNotFoundError,
  RedlineError,
  VersionNotFoundError,
  WatchNotFoundError,
} from '../core/domain/errors.js';
import type { LocalRuntime } from '../local/runtime.js';
import type { RemoteRuntime } from '../remote/runtime.js';

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

/** Bad input the user can fix: one line on stderr, exit 2. */
export class UsageError extends RedlineError {}
/** The command ran and the capture it asked for failed: exit 1. */
export class CaptureFailedError extends RedlineError {}

/**
 * Runs `work`, turning a lookup that found nothing (an unknown watch, version or capture) into a
 * UsageError: like other bad input, one line on stderr and exit 2 (a failed capture stays exit 1).
 */
export async function lookingUp<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (
      error instanceof WatchNotFoundError ||
      error instanceof VersionNotFoundError ||
      error instanceof CaptureNotFoundError
    )
      throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

export type Runtime = LocalRuntime | RemoteRuntime;

/** What every command group gets from main: output helpers and the runtime its command works on. */
export interface CliContext {
  io: CliIo;
  program: Command;
  out(text: string): void;
  json(value: unknown): void;
  /** The data dir, or the deployed stage named by --stack / $REDLINE_STACK: the same commands on either. */
  withRuntime<T>(work: (runtime: Runtime) => Promise<T>): Promise<T>;
}

/** A command group: fills in the command main registered under its name (options, subcommands, actions). */
export type DefineGroup = (command: Command, context: CliContext) => void;

export const isRemote = (rt: Runtime): rt is RemoteRuntime => 'queue' in rt;

/** Parses a flag with a function that throws, turning a failure into commander's one-line usage error. */
export const flag =
  <T>(parse: (value: string) => T, what: string) =>
  (value: string): T => {
    try {
      return parse(value);
    } catch {
      throw new InvalidArgumentError(`invalid ${what}: ${JSON.stringify(value)}`);
    }
  };

const integer = (min: number) => (value: string) => {
  if (!/^\d+$/.test(value.trim())) throw new RangeError(value);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(value);
  return n;
};
export const positiveInt = (what: string) => flag(integer(1), what);
export const nonNegativeInt = (what: string) => flag(integer(0), what);
export const collect = (value: string, previous: string[]) => [...previous, value];
