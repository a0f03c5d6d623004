#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npx redline` works right after `npm ci`.
import { register } from 'tsx/esm/api';

// The SDK warns on Node 20 at every start; the CLI's output is for people and scripts.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { runCli } = await import('../functions/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
