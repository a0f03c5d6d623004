#!/usr/bin/env node
import { chmod, readFile, rm } from 'node:fs/promises';
/**
 * `npm run build`: compiles the `redline` CLI to dist/cli/ with esbuild. ESM for Node 20, split into
 * chunks so a command loads only what it imports (`--help` and `compare` never load the AWS SDK,
 * dynalite or Chromium). npm packages are not bundled: they are the package's `dependencies`,
 * installed beside it; the build fails if the CLI imports one that is not listed there.
 */
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const quiet = args.includes('--quiet');
// Tests build to a directory of their own (inside the repository, so packages resolve from node_modules),
// and never race `npm pack` rebuilding dist/.
const outdirFlag = args.indexOf('--outdir');
const outdir = resolve(outdirFlag >= 0 ? args[outdirFlag + 1] : join(root, 'dist', 'cli'));

await rm(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  // pdf-extract.js: the child process that reads PDFs within budgets (functions/adapters/pdf/isolated-pdf.ts
  // finds it beside redline.js); html-extract.js: the worker thread that reads HTML articles within budgets
  // (functions/adapters/extract/isolated-html.ts, likewise); redline-store.js: the data dir's store process a command starts on demand
  // (functions/local/store-client.ts).
  entryPoints: {
    redline: 'functions/cli/bin.ts',
    'pdf-extract': 'functions/adapters/pdf/pdf-extract.ts',
    'html-extract': 'functions/adapters/extract/html-extract.ts',
    'redline-store': 'functions/local/store-main.ts',
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});

// Every package the compiled CLI imports must be installed with it.
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const builtins = new Set(builtinModules);
const packageOf = (specifier) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
const imported = new Set();
for (const output of Object.values(result.metafile.outputs))
  for (const { path, external } of output.imports)
    if (external && !path.startsWith('node:') && !builtins.has(path)) imported.add(packageOf(path));
const missing = [...imported].filter((name) => !pkg.dependencies?.[name]);
if (missing.length) {
  console.error(`build: the CLI imports packages missing from dependencies: ${missing.join(', ')}`);
  process.exit(1);
}

await chmod(join(outdir, 'redline.js'), 0o755);
if (!quiet) {
  const files = Object.entries(result.metafile.outputs);
  const bytes = files.reduce((sum, [, o]) => sum + o.bytes, 0);
  console.log(
    `build: ${relative(root, join(outdir, 'redline.js'))}, pdf-extract.js, html-extract.js, redline-store.js and ${files.length - 4} chunks, ${(bytes / 1024).toFixed(0)} KB; runtime packages: ${[...imported].sort().join(', ')}`,
  );
}
