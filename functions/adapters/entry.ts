import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A module to start in a child process or a worker thread, and the Node flags it needs. */
export interface EntryPoint {
  url: URL;
  execArgv: string[];
}

/**
 * Finds one of Redline's own entry modules (the PDF child, the HTML worker, the store process) for the
 * module `caller` (its `import.meta.url`), in each layout the code ships in: from the TypeScript sources
 * (tests, tsx), the `.ts` source beside the caller, loaded through source-hooks.mjs (types stripped by
 * esbuild, nothing else transformed); compiled, the built file beside the caller or one directory up
 * (the CLI's `dist/cli/` with the caller in `chunks/`; a Lambda's `index.mjs`). Returns the places looked
 * at when none is there, for the caller's own error.
 */
export function findEntry(
  caller: string,
  names: { source: string; compiled: string },
): EntryPoint | { missing: string[] } {
  const source = new URL(`./${names.source}.ts`, caller);
  if (caller.endsWith('.ts') && existsSync(fileURLToPath(source))) {
    const hooks = new URL('./source-hooks.mjs', import.meta.url).href;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(hooks)});`;
    return { url: source, execArgv: ['--import', `data:text/javascript,${encodeURIComponent(register)}`] };
  }
  const candidates = ['./', '../'].flatMap((dir) =>
    ['.mjs', '.js'].map((ext) => new URL(`${dir}${names.compiled}${ext}`, caller)),
  );
  const found = candidates.find((url) => existsSync(fileURLToPath(url)));
  return found ? { url: found, execArgv: [] } : { missing: candidates.map((url) => fileURLToPath(url)) };
}
