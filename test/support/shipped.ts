import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';

/**
 * Support for running what CDK ships (test/shipped, bench/bundles.bench.ts): synthesize the real app with
 * bundling on, find each function's asset in the cloud assembly, and run its handler in a child process
 * that, like the Lambda runtime, has only the asset and the AWS SDK to import from.
 */

const REPO = join(import.meta.dirname, '..', '..');
const RUNNER = join(import.meta.dirname, 'lambda-runner.mjs');
const CDK_CLI = join(REPO, 'node_modules', 'aws-cdk', 'bin', 'cdk');

/** A value in a CloudFormation template: a literal, or an intrinsic such as `{ Ref }`. */
export type CfnValue = unknown;

interface CfnResource {
  Type: string;
  Properties?: Record<string, CfnValue>;
  Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: CfnValue; Export?: { Name: CfnValue } }>;
}

export interface SynthesizedStack {
  name: string;
  template: CfnTemplate;
}

/** One Lambda function of the assembly, with the directory CDK would zip and upload for it. */
export interface ShippedFunction {
  stack: string;
  logicalId: string;
  /** The construct's id, e.g. `CaptureWorker` (from the `aws:cdk:path` metadata). */
  id: string;
  assetDir: string;
  handler: string;
  runtime: string;
  timeoutSeconds: number;
  memoryMiB: number;
  /** The template's environment variables, references unresolved. */
  environment: Record<string, CfnValue>;
}

export interface CloudAssembly {
  dir: string;
  stacks: SynthesizedStack[];
  functions: ShippedFunction[];
}

export class ShippedHarnessError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * `cdk synth` of the real app (`cdk.json`: infra/app.ts) into `outdir`, bundling on: NodejsFunction runs
 * the local esbuild, and installs a function's `nodeModules` with npm. No notices, telemetry or version
 * check; the bundler's scratch directories go under `tmpdir`.
 */
export async function synthesizeApp(
  outdir: string,
  options: { stage: string; tmpdir: string; env?: Record<string, string> },
): Promise<CloudAssembly> {
  mkdirSync(options.tmpdir, { recursive: true });
  const args = [CDK_CLI, 'synth', '--quiet', '--no-notices', '-c', `stage=${options.stage}`, '-o', outdir];
  try {
    await promisify(execFile)(process.execPath, args, {
      cwd: REPO,
      env: {
        ...process.env,
        TMPDIR: options.tmpdir,
        CDK_DISABLE_CLI_TELEMETRY: 'true',
        CDK_DISABLE_VERSION_CHECK: '1',
        ...options.env,
      },
      maxBuffer: 32 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new ShippedHarnessError(`cdk synth failed:\n${tail(`${stdout}\n${stderr}`, 8000)}`, {
      cause: error,
    });
  }
  return readCloudAssembly(outdir);
}

/** The stacks and functions of a synthesized cloud assembly (manifest.json, templates, asset manifests). */
export function readCloudAssembly(dir: string): CloudAssembly {
  const manifest = readJson(join(dir, 'manifest.json')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string; file?: string } }>;
  };
  const stacks: SynthesizedStack[] = [];
  const assets = new Map<string, { path: string; packaging: string }>();
  for (const [name, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      stacks.push({ name, template: readJson(join(dir, artifact.properties.templateFile)) as CfnTemplate });
    }
    if (artifact.type === 'cdk:asset-manifest' && artifact.properties?.file) {
      const files = (readJson(join(dir, artifact.properties.file)) as { files?: Record<string, unknown> })
        .files;
      for (const [hash, entry] of Object.entries(files ?? {})) {
        const source = (entry as { source: { path: string; packaging?: string } }).source;
        assets.set(hash, { path: join(dir, source.path), packaging: source.packaging ?? 'file' });
      }
    }
  }
  const functions: ShippedFunction[] = [];
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const props = resource.Properties ?? {};
      const code = props.Code as { S3Key?: unknown; ZipFile?: unknown };
      if (typeof code?.S3Key !== 'string') continue; // inline code: nothing bundled
      const hash = code.S3Key.replace(/\.zip$/, '');
      const asset = assets.get(hash);
      if (asset?.packaging !== 'zip' || !existsSync(asset.path)) {
        throw new ShippedHarnessError(`${stack.name}/${logicalId}: no zip asset directory for ${code.S3Key}`);
      }
      const path = String(resource.Metadata?.['aws:cdk:path'] ?? logicalId).split('/');
      functions.push({
        stack: stack.name,
        logicalId,
        id: path.at(-1) === 'Resource' ? path.at(-2)! : logicalId,
        assetDir: asset.path,
        handler: String(props.Handler),
        runtime: String(props.Runtime),
        timeoutSeconds: Number(props.Timeout ?? 3),
        memoryMiB: Number(props.MemorySize ?? 128),
        environment: ((props.Environment as { Variables?: Record<string, CfnValue> })?.Variables ??
          {}) as Record<string, CfnValue>,
      });
    }
  }
  return { dir, stacks, functions };
}

export function functionById(assembly: CloudAssembly, id: string): ShippedFunction {
  const found = assembly.functions.filter((fn) => fn.id === id);
  if (found.length !== 1)
    throw new ShippedHarnessError(`${found.length} functions named ${id} in the assembly`);
  return found[0]!;
}

/** A resource an environment variable refers to, possibly in another stack (`Fn::ImportValue`). */
export interface ResourceRef {
  stack: string;
  logicalId: string;
  type: string;
  properties: Record<string, CfnValue>;
  /** `Fn::GetAtt`'s attribute; none for `Ref`. */
  attribute?: string;
}

/** The resource behind `{ Ref }`, `{ Fn::GetAtt }` or `{ Fn::ImportValue }`, or undefined for a literal. */
export function referencedResource(
  assembly: CloudAssembly,
  stackName: string,
  value: CfnValue,
): ResourceRef | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const stack = assembly.stacks.find((s) => s.name === stackName);
  if (!stack) throw new ShippedHarnessError(`no stack ${stackName}`);
  const resource = (logicalId: string, attribute?: string): ResourceRef => {
    const found = stack.template.Resources[logicalId];
    if (!found) throw new ShippedHarnessError(`${stackName} has no resource ${logicalId}`);
    return {
      stack: stackName,
      logicalId,
      type: found.Type,
      properties: found.Properties ?? {},
      ...(attribute ? { attribute } : {}),
    };
  };
  const intrinsic = value as Record<string, unknown>;
  if (typeof intrinsic.Ref === 'string') return resource(intrinsic.Ref);
  if (Array.isArray(intrinsic['Fn::GetAtt'])) {
    const [logicalId, attribute] = intrinsic['Fn::GetAtt'] as [string, string];
    return resource(logicalId, attribute);
  }
  const imported = intrinsic['Fn::ImportValue'];
  if (typeof imported === 'string') {
    for (const other of assembly.stacks) {
      for (const output of Object.values(other.template.Outputs ?? {})) {
        if (output.Export?.Name === imported) return referencedResource(assembly, other.name, output.Value);
      }
    }
    throw new ShippedHarnessError(`no stack exports ${imported}`);
  }
  throw new ShippedHarnessError(`unsupported value in ${stackName}: ${JSON.stringify(value)}`);
}

/** The resource each variable of the function's environment names (a variable built from several names none). */
export function environmentReferences(
  assembly: CloudAssembly,
  fn: ShippedFunction,
): Map<string, ResourceRef> {
  const refs = new Map<string, ResourceRef>();
  for (const [name, value] of Object.entries(fn.environment)) {
    const found = referencedResources(assembly, fn.stack, value);
    if (found.length === 1) refs.set(name, found[0]!);
  }
  return refs;
}

/** Every resource the function's environment refers to, nested ones included (what a stage must provision). */
export function allEnvironmentResources(assembly: CloudAssembly, fn: ShippedFunction): ResourceRef[] {
  return Object.values(fn.environment).flatMap((value) => referencedResources(assembly, fn.stack, value));
}

/**
 * Every resource a value refers to, however nested: a `{ Ref }`, `{ Fn::GetAtt }` or `{ Fn::ImportValue }`
 * (followed to the exporting stack), or any of those inside a `Fn::Join` (a URL built from a domain name).
 */
export function referencedResources(
  assembly: CloudAssembly,
  stackName: string,
  value: CfnValue,
): ResourceRef[] {
  if (typeof value !== 'object' || value === null) return [];
  const intrinsic = value as Record<string, unknown>;
  if (typeof intrinsic.Ref === 'string' && intrinsic.Ref.startsWith('AWS::')) return [];
  if (Array.isArray(intrinsic['Fn::Join'])) {
    const [, parts] = intrinsic['Fn::Join'] as [string, CfnValue[]];
    return parts.flatMap((part) => referencedResources(assembly, stackName, part));
  }
  const imported = intrinsic['Fn::ImportValue'];
  if (typeof imported === 'string') {
    const [stack, output] = exportedOutput(assembly, imported);
    return referencedResources(assembly, stack, output);
  }
  const ref = referencedResource(assembly, stackName, value);
  return ref ? [ref] : [];
}

function exportedOutput(assembly: CloudAssembly, name: string): [string, CfnValue] {
  for (const other of assembly.stacks) {
    for (const output of Object.values(other.template.Outputs ?? {})) {
      if (output.Export?.Name === name) return [other.name, output.Value];
    }
  }
  throw new ShippedHarnessError(`no stack exports ${name}`);
}

/**
 * The function's environment variables as the template sets them, each reference replaced by what
 * `physical` answers for its resource (the emulator's table name, queue URL, topic ARN…), joins joined
 * and pseudo parameters filled in.
 */
export function resolveEnvironment(
  assembly: CloudAssembly,
  fn: ShippedFunction,
  physical: (ref: ResourceRef) => string,
  pseudo: { accountId: string; region: string } = { accountId: '000000000000', region: 'us-east-1' },
): Record<string, string> {
  const resolve = (stackName: string, value: CfnValue): string => {
    if (typeof value !== 'object' || value === null) return String(value);
    const intrinsic = value as Record<string, unknown>;
    if (typeof intrinsic.Ref === 'string' && intrinsic.Ref.startsWith('AWS::'))
      return withPseudoParameters(value, pseudo);
    if (Array.isArray(intrinsic['Fn::Join'])) {
      const [separator, parts] = intrinsic['Fn::Join'] as [string, CfnValue[]];
      return parts.map((part) => resolve(stackName, part)).join(separator);
    }
    const imported = intrinsic['Fn::ImportValue'];
    if (typeof imported === 'string') {
      const [stack, output] = exportedOutput(assembly, imported);
      return resolve(stack, output);
    }
    const ref = referencedResource(assembly, stackName, value);
    return ref ? physical(ref) : String(value);
  };
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.environment)) resolved[name] = resolve(fn.stack, value);
  return resolved;
}

/** A name built from pseudo parameters (`Fn::Join`, `Fn::Sub`, `{ Ref: 'AWS::Region' }`), as deployed. */
export function withPseudoParameters(value: CfnValue, pseudo: { accountId: string; region: string }): string {
  const params: Record<string, string> = {
    'AWS::AccountId': pseudo.accountId,
    'AWS::Region': pseudo.region,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  const intrinsic = (value ?? {}) as Record<string, unknown>;
  if (typeof intrinsic.Ref === 'string' && params[intrinsic.Ref]) return params[intrinsic.Ref]!;
  if (Array.isArray(intrinsic['Fn::Join'])) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, CfnValue[]];
    return parts.map((part) => withPseudoParameters(part, pseudo)).join(separator);
  }
  if (typeof intrinsic['Fn::Sub'] === 'string') {
    return intrinsic['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (whole, name: string) => params[name] ?? whole);
  }
  throw new ShippedHarnessError(`cannot resolve ${JSON.stringify(value)} with pseudo parameters only`);
}

/** Bytes of every file under a directory (an asset's unzipped size). */
export function directoryBytes(dir: string): number {
  let total = 0;
  const pending = [dir];
  for (let guard = 0; pending.length > 0; guard++) {
    if (guard > 1_000_000) throw new ShippedHarnessError(`more than a million directories under ${dir}`);
    const current = pending.pop()!;
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) total += statSync(path).size;
    }
  }
  return total;
}

/** The package scopes the Lambda Node.js runtime provides: the AWS SDK for JavaScript v3 and its parts. */
export const SDK_SCOPES = ['@aws-sdk', '@smithy', '@aws-crypto'] as const;

/**
 * A `node_modules` holding only the AWS SDK, as the Lambda runtime has it: every package of the SDK's
 * scopes in the repository's `node_modules`, plus their dependencies (walked through each package.json
 * as Node resolves them), copied (not linked, so a package's own imports resolve inside the copy too).
 * Returns the top-level package names copied.
 */
export function buildSdkNodeModules(target: string, source = join(REPO, 'node_modules')): string[] {
  const root = realpathSync(source);
  const topLevel = new Set<string>();
  const seen = new Set<string>();
  const pending: string[] = [];
  for (const scope of SDK_SCOPES) {
    if (!existsSync(join(root, scope))) continue;
    for (const name of readdirSync(join(root, scope))) pending.push(join(root, scope, name));
  }
  const resolveFrom = (dir: string, name: string): string | undefined => {
    // From the package's own node_modules up through enclosing packages' to the top level (`root`).
    for (let current = dir; current.startsWith(root); current = dirname(current)) {
      const candidate = current === root ? join(root, name) : join(current, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
      if (current === root) return undefined;
    }
    return undefined;
  };
  while (pending.length > 0) {
    if (seen.size > 5000) throw new ShippedHarnessError('the SDK closure passed 5,000 packages');
    const dir = pending.pop()!;
    if (seen.has(dir)) continue;
    seen.add(dir);
    const rel = relative(root, dir);
    // Nested copies (a/node_modules/b) travel with their top-level package.
    if (!rel.includes(`${sep}node_modules${sep}`)) topLevel.add(rel);
    const pkg = readJson(join(dir, 'package.json')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      const found = resolveFrom(dir, dep);
      if (found) pending.push(found);
      else if (!pkg.optionalDependencies?.[dep]) {
        throw new ShippedHarnessError(`${rel} needs ${dep}, which is not installed`);
      }
    }
  }
  for (const name of topLevel) {
    cpSync(join(root, name), join(target, name), { recursive: true, dereference: true });
  }
  return [...topLevel].sort();
}

/** Directories above `dir` (and `dir`) that hold a node_modules: what Node's resolution could reach. */
export function reachableNodeModules(dir: string): string[] {
  const found: string[] = [];
  for (let current = realpathSync(dir); ; current = dirname(current)) {
    if (existsSync(join(current, 'node_modules'))) found.push(join(current, 'node_modules'));
    if (current === dirname(current)) return found;
  }
}

/** Which packages resolve from a file in `from`, in a runner process with exactly `env`. */
export async function resolvableFrom(
  from: string,
  packages: string[],
  env: NodeJS.ProcessEnv,
): Promise<Record<string, string | null>> {
  const child = spawn(process.execPath, [RUNNER, '--resolve', from, ...packages], {
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const [message] = await reportsOf(child, 1);
  if (!message) throw new ShippedHarnessError('the resolve probe reported nothing');
  return (message as { resolved: Record<string, string | null> }).resolved;
}

/**
 * The environment the Lambda Node.js runtime gives a function (no variable of this process leaks in):
 * its identity and region, credentials, `AWS_EXECUTION_ENV` (what @sparticuz/chromium reads to unpack its
 * Amazon Linux 2023 libraries), a private temporary directory for /tmp, then the template's variables,
 * then the test's (emulator endpoints, opt-ins).
 */
export function lambdaEnvironment(
  fn: ShippedFunction,
  variables: Record<string, string>,
  options: { region: string; tmpdir: string; extra?: Record<string, string> },
): NodeJS.ProcessEnv {
  const name = `${fn.stack}-${fn.id}`;
  mkdirSync(options.tmpdir, { recursive: true });
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    TMPDIR: options.tmpdir,
    LAMBDA_TASK_ROOT: fn.assetDir,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMiB),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'shipped-test',
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_REGION: options.region,
    AWS_DEFAULT_REGION: options.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: 'test',
    ...variables,
    ...options.extra,
  };
}

export interface Invocation<T = unknown> {
  result: T;
  ms: number;
}

interface RunnerReport {
  id?: number;
  ms?: number;
  init?: { ms?: number; error?: { errorType: string; errorMessage: string; stack: string } };
  result?: unknown;
  error?: { errorType: string; errorMessage: string; stack: string };
}

/**
 * One execution environment of a function: a Node process that imports the asset's handler once (init),
 * then runs invocations one after another, warm. Each invocation has the function's timeout from the
 * template; past it, the process is killed, as Lambda does.
 */
export class LambdaContainer {
  private logs = '';
  private nextId = 1;
  private readonly waiting = new Map<number, (report: RunnerReport) => void>();
  private exited?: string;

  private constructor(
    readonly fn: ShippedFunction,
    /** The environment variables it runs with. */
    readonly env: NodeJS.ProcessEnv,
    private readonly child: ChildProcess,
    readonly initMs: number,
  ) {}

  static async start(fn: ShippedFunction, env: NodeJS.ProcessEnv): Promise<LambdaContainer> {
    const child = spawn(process.execPath, [RUNNER, fn.assetDir, fn.handler], {
      cwd: fn.assetDir,
      env,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    let logs = '';
    const keep = (chunk: Buffer) => {
      logs = tail(logs + chunk.toString(), 256 * 1024);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const reports = createInterface({ input: child.stdio[3] as Readable });
    const first = await new Promise<RunnerReport | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), fn.timeoutSeconds * 1000);
      reports.once('line', (line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as RunnerReport);
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
    if (!first?.init || first.init.error) {
      child.kill('SIGKILL');
      const error = first?.init?.error;
      throw new ShippedHarnessError(
        `${fn.id} failed at init: ${error ? `${error.errorType}: ${error.errorMessage}\n${error.stack}` : 'no report'}\n--- logs ---\n${tail(logs, 8000)}`,
      );
    }
    const container = new LambdaContainer(fn, env, child, first.init.ms ?? 0);
    container.logs = logs;
    child.stdout!.off('data', keep).on('data', (chunk: Buffer) => container.keep(chunk));
    child.stderr!.off('data', keep).on('data', (chunk: Buffer) => container.keep(chunk));
    reports.on('line', (line) => {
      const report = JSON.parse(line) as RunnerReport;
      if (report.id !== undefined) container.waiting.get(report.id)?.(report);
    });
    child.once('exit', (code, signal) => {
      container.exited = `exited (${signal ?? code})`;
      for (const settle of container.waiting.values()) settle({});
    });
    return container;
  }

  private keep(chunk: Buffer): void {
    this.logs = tail(this.logs + chunk.toString(), 256 * 1024);
  }

  /** The runner's process id (Chromium and other children run under it). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** What the function wrote to stdout and stderr (the last 256 KB). */
  get output(): string {
    return this.logs;
  }

  /** Runs one invocation; rejects with the function's error (and its logs), or on timeout. */
  async invoke<T = unknown>(event: unknown): Promise<Invocation<T>> {
    if (this.exited) throw new ShippedHarnessError(`${this.fn.id}: the environment ${this.exited}`);
    const id = this.nextId++;
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    const report = await new Promise<RunnerReport | 'timeout'>((resolve) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve('timeout');
      }, timeoutMs + 1000);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.child.stdin!.write(`${JSON.stringify({ id, event, timeoutMs })}\n`);
    });
    this.waiting.delete(id);
    const logs = () => `\n--- logs ---\n${tail(this.logs, 8000)}`;
    if (report === 'timeout') {
      throw new ShippedHarnessError(`${this.fn.id} timed out after ${this.fn.timeoutSeconds} s${logs()}`);
    }
    if (report.error) {
      const { errorType, errorMessage, stack } = report.error;
      throw new ShippedHarnessError(`${this.fn.id} failed: ${errorType}: ${errorMessage}\n${stack}${logs()}`);
    }
    if (report.id === undefined) throw new ShippedHarnessError(`${this.fn.id}: ${this.exited}${logs()}`);
    return { result: report.result as T, ms: report.ms ?? 0 };
  }

  /** Shuts the environment down: stdin closes and the runner exits; killed if it does not within 10 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The SQS event Lambda's event source mapping builds from received messages. */
export function sqsEvent(
  messages: { MessageId?: string; ReceiptHandle?: string; Body?: string; MD5OfBody?: string }[],
  queueArn: string,
  region: string,
) {
  return {
    Records: messages.map((message) => ({
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body!,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'AIDASHIPPEDTEST',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: region,
    })),
  };
}

async function reportsOf(child: ChildProcess, count: number): Promise<unknown[]> {
  const lines: unknown[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = tail(stderr + chunk.toString(), 16 * 1024);
  });
  const reader = createInterface({ input: child.stdio[3] as Readable });
  for await (const line of reader) {
    lines.push(JSON.parse(line));
    if (lines.length >= count) break;
  }
  await new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  if (lines.length < count) throw new ShippedHarnessError(`runner ended early:\n${stderr}`);
  return lines;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function tail(text: string, max: number): string {
  return text.length > max ? text.slice(text.length - max) : text;
}
