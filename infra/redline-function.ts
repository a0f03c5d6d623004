import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface RedlineFunctionProps<Env extends Record<string, string | number | undefined>> {
  /** Path of the handler module, relative to the repository root. */
  entry: string;
  description: string;
  /** Typed from the handler's own env schema, so handler and construct cannot drift apart. */
  environment: Env;
  memorySize?: number;
  timeout?: Duration;
  ephemeralStorageMiB?: number;
  /** Packages installed into the bundle instead of bundled (native or asset-carrying modules). */
  nodeModules?: string[];
  logRetention?: RetentionDays;
  /** Files copied into the bundle's root after bundling (`name` beside index.mjs), e.g. the TSA roots. */
  files?: BundledFile[];
}

export interface BundledFile {
  /** Absolute path on the synthesizing machine. */
  source: string;
  /** Plain file name inside the bundle. */
  name: string;
}

const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

/** The shell command that copies a file into the bundle (afterBundling runs on the synthesizing machine). */
function copyIntoBundle(outputDir: string, file: BundledFile): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(file.name)) {
    throw new Error(`bundled file name ${JSON.stringify(file.name)}: a plain file name is expected`);
  }
  return `cp ${quote(file.source)} ${quote(join(outputDir, file.name))}`;
}

const BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/**
 * The extraction entries bundled beside the function's `index.mjs`, where their adapters look for them:
 * the PDF child (functions/adapters/pdf/pdf-extract.ts as `pdf-extract.mjs`, for isolated-pdf.ts) and the
 * HTML worker (functions/adapters/extract/html-extract.ts as `html-extract.mjs`, for isolated-html.ts).
 * Each is a further esbuild run after CDK's, with the same settings. Every function gets both, so none can
 * reach a reader without its isolation.
 */
const EXTRACT_ENTRIES = [
  { source: ['functions', 'adapters', 'pdf', 'pdf-extract.ts'], out: 'pdf-extract.mjs' },
  { source: ['functions', 'adapters', 'extract', 'html-extract.ts'], out: 'html-extract.mjs' },
] as const;

function bundleExtractEntry(outputDir: string, source: readonly string[], out: string): string {
  const esbuild = join(
    dirname(createRequire(import.meta.url).resolve('esbuild/package.json')),
    'bin',
    'esbuild',
  );
  const entry = join(import.meta.dirname, '..', ...source);
  return [
    quote(esbuild),
    quote(entry),
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--target=node22',
    '--main-fields=module,main',
    '--sourcemap',
    quote('--external:@aws-sdk/*'),
    quote(`--banner:js=${BANNER}`),
    quote(`--outfile=${join(outputDir, out)}`),
    '--log-level=warning',
  ].join(' ');
}

/** One construct for every Redline function: Node 22, ESM bundle with source maps, JSON logs, tracing, log retention. */
export class RedlineFunction<Env extends Record<string, string | number | undefined>> extends NodejsFunction {
  constructor(scope: Construct, id: string, props: RedlineFunctionProps<Env>) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const environment: Record<string, string> = { NODE_OPTIONS: '--enable-source-maps' };
    for (const [key, value] of Object.entries(props.environment)) {
      if (value !== undefined) environment[key] = String(value);
    }
    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.X86_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      ...(props.ephemeralStorageMiB
        ? { ephemeralStorageSize: Size.mebibytes(props.ephemeralStorageMiB) }
        : {}),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      environment,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        sourceMap: true,
        mainFields: ['module', 'main'],
        banner: BANNER,
        externalModules: ['@aws-sdk/*', ...(props.nodeModules ?? [])],
        ...(props.nodeModules ? { nodeModules: props.nodeModules } : {}),
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [
            ...EXTRACT_ENTRIES.map(({ source, out }) => bundleExtractEntry(outputDir, source, out)),
            ...(props.files ?? []).map((file) => copyIntoBundle(outputDir, file)),
          ],
        },
      },
    });
  }
}
