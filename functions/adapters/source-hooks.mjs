/**
 * Node module hooks for running Redline's own entry modules (the PDF child, the HTML worker, the store)
 * from the TypeScript sources (tests, scripts run with tsx; see entry.ts): `.ts` files are stripped of their types by esbuild, a `./x.js` import from a `.ts` file
 * finds `./x.ts`, and everything else, pdf.js above all, loads untouched. (tsx would transform pdf.js
 * too, taking the child to ~500 MB before it reads a byte, which would make the memory budget
 * meaningless.) Never used by the compiled CLI or the Lambda bundle, whose entries are plain JavaScript.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

export async function resolve(specifier, context, nextResolve) {
  if (context.parentURL?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const ts = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
    if (existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const source = await readFile(fileURLToPath(url), 'utf8');
  const { code } = await transform(source, {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: fileURLToPath(url),
  });
  return { format: 'module', source: code, shortCircuit: true };
}
