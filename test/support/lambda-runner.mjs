// A stand-in for the Lambda Node.js runtime, for tests that run the bundles CDK built (test/shipped).
// Plain JavaScript with no imports but Node's own, so the only packages its process can reach are the
// function's asset and the AWS SDK beside it.
//
//   node lambda-runner.mjs <task root> <handler, e.g. index.handler>
//       Init: imports the handler module once, as Lambda does before the first invocation. Then reads
//       invocations as JSON lines on stdin ({ id, event, timeoutMs }) and runs them one at a time in
//       this same process (a warm container). Reports go to file descriptor 3 as JSON lines, apart
//       from the function's own stdout and stderr: { init: { ms } } or { init: { error } }, then
//       { id, ms, result } or { id, ms, error } per invocation.
//   node lambda-runner.mjs --resolve <directory> <package>...
//       Reports on fd 3 which packages resolve from a file in <directory>, in the same process setup.
import { randomUUID } from 'node:crypto';
import dns from 'node:dns';
import { createWriteStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const reports = createWriteStream('', { fd: 3 });
const report = (message) => new Promise((resolve) => reports.write(`${JSON.stringify(message)}\n`, resolve));

// Emulated AWS endpoints name hosts under .localhost (SQS queue URLs such as
// sqs.us-east-1.localhost:port, virtual-hosted S3 buckets); this machine's resolver does not map them.
const lookup = dns.lookup;
dns.lookup = function localhostLookup(hostname, options, callback) {
  if (typeof hostname !== 'string' || !hostname.endsWith('.localhost')) {
    return lookup.call(dns, hostname, options, callback);
  }
  const done = typeof options === 'function' ? options : callback;
  const all = typeof options === 'object' && options !== null && options.all === true;
  process.nextTick(() =>
    all ? done(null, [{ address: '127.0.0.1', family: 4 }]) : done(null, '127.0.0.1', 4),
  );
};

function errorReport(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, stack: String(error.stack ?? '') };
  }
  return { errorType: typeof error, errorMessage: String(error), stack: '' };
}

async function resolveMode([from, ...names]) {
  const require = createRequire(join(from, 'probe.mjs'));
  const resolved = {};
  for (const name of names) {
    try {
      resolved[name] = require.resolve(name);
    } catch {
      resolved[name] = null;
    }
  }
  await report({ resolved });
}

/** The module file Lambda's Node runtime loads for `<root>/<module>`: .js, .mjs, then .cjs. */
function moduleFile(root, module) {
  for (const extension of ['.js', '.mjs', '.cjs']) {
    const file = join(root, `${module}${extension}`);
    if (existsSync(file)) return file;
  }
  throw new Error(`no ${module}.js, .mjs or .cjs in ${root}`);
}

function contextFor(timeoutMs) {
  const name = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'function';
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${name}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    awsRequestId: randomUUID(),
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? `/aws/lambda/${name}`,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {
      throw new Error('callback-style handlers are not supported');
    },
    fail: () => {
      throw new Error('callback-style handlers are not supported');
    },
    succeed: () => {
      throw new Error('callback-style handlers are not supported');
    },
  };
}

async function runtimeMode([root, handlerName]) {
  const dot = handlerName.lastIndexOf('.');
  const [module, exportName] = [handlerName.slice(0, dot), handlerName.slice(dot + 1)];
  let handler;
  const initStart = performance.now();
  try {
    const loaded = await import(pathToFileURL(moduleFile(root, module)).href);
    handler = loaded[exportName];
    if (typeof handler !== 'function') throw new Error(`${handlerName} is not a function`);
  } catch (error) {
    await report({ init: { error: errorReport(error) } });
    process.exit(1);
  }
  await report({ init: { ms: Math.round(performance.now() - initStart) } });

  // Invocations are read one line at a time and run one at a time, like a Lambda execution environment.
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const { id, event, timeoutMs } = JSON.parse(line);
    const start = performance.now();
    try {
      const result = await handler(event, contextFor(timeoutMs));
      await report({ id, ms: Math.round(performance.now() - start), result: result ?? null });
    } catch (error) {
      await report({ id, ms: Math.round(performance.now() - start), error: errorReport(error) });
    }
  }
  // stdin closed: the environment is shut down, whatever the function left open (sockets, timers).
  reports.end(() => process.exit(0));
}

const args = process.argv.slice(2);
if (args[0] === '--resolve') await resolveMode(args.slice(1));
else await runtimeMode(args);
