#!/usr/bin/env node
// The `redline` executable: scripts/build.mjs compiles it to dist/cli/redline.js.
import { runCli } from './main.js';

// The SDK warns on Node 20 at every start; the CLI's output is for people and scripts. Set before any
// command loads the SDK (they load it lazily).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
