import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The compiled `redline` executable the tests run (built by scripts/build.mjs, as `npm pack` does). */
    redlineBin: string;
  }
}

const root = join(import.meta.dirname, '..', '..');

/**
 * Compiles the CLI once for the test run, with the same script `npm run build` and `npm pack` use, into a
 * directory of its own inside the repository (packages resolve from node_modules; `npm pack` rebuilding
 * dist/ cannot pull files from under a running test).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await mkdir(join(root, '.tmp'), { recursive: true });
  const outdir = await mkdtemp(join(root, '.tmp', 'cli-'));
  await promisify(execFile)(process.execPath, [
    join(root, 'scripts', 'build.mjs'),
    '--quiet',
    '--outdir',
    outdir,
  ]);
  project.provide('redlineBin', join(outdir, 'redline.js'));
  return () => rm(outdir, { recursive: true, force: true });
}
