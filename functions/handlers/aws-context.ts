import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { z } from 'zod';
import { ChromiumRenderer } from '../adapters/chromium/chromium-renderer.js';
import { DynamoCatalog } from '../adapters/dynamo/dynamo-catalog.js';
import { isolatedHtmlExtractor } from '../adapters/extract/isolated-html.js';
import { UndiciFetcher } from '../adapters/net/undici-fetcher.js';
import { isolatedPdfExtractor } from '../adapters/pdf/isolated-pdf.js';
import { powertoolsLogger } from '../adapters/powertools-logger.js';
import { S3BlobStore } from '../adapters/s3/s3-blob-store.js';
import { SnsNotifier } from '../adapters/sns/sns-notifier.js';
import { authoritiesFromConfig, readTsaRoots, TsaEnvSchema } from '../adapters/tsa/config.js';
import { HTTP_TSA_DEFAULTS } from '../adapters/tsa/http-tsa.js';
import { ViewerHashLinks } from '../api/viewer/links.js';
import type { CaptureWorkerEnvSchema } from '../contracts/env.js';
import type { CaptureDeps } from '../core/capture/capture.js';
import { Politeness } from '../core/capture/politeness.js';
import { systemClock } from '../core/domain/clock.js';
import { TimestampConfigError } from '../core/domain/errors.js';
import { userAgentFor } from '../core/domain/user-agent.js';
import type { TimestampAuthority } from '../core/proof/ports.js';

/** SDK clients may be pointed at emulators in tests; in Lambda they use the function's role and region. */
export interface AwsClients {
  dynamo: DynamoDBClient;
  s3: S3Client;
  sns: SNSClient;
}

export function defaultClients(): AwsClients {
  return { dynamo: new DynamoDBClient({}), s3: new S3Client({}), sns: new SNSClient({}) };
}

/**
 * The timestamp authorities of REDLINE_TSA_URLS, trusting the roots in REDLINE_TSA_CA_FILE (a file
 * shipped with the function), read once at cold start. Throws TimestampConfigError.
 */
export function awsTimestampAuthorities(
  env: Pick<z.infer<typeof CaptureWorkerEnvSchema>, 'REDLINE_TSA_URLS' | 'REDLINE_TSA_CA_FILE'>,
): TimestampAuthority[] {
  const parsed = TsaEnvSchema.safeParse({
    REDLINE_TSA_URLS: env.REDLINE_TSA_URLS,
    REDLINE_TSA_CA_FILE: env.REDLINE_TSA_CA_FILE || undefined,
  });
  if (!parsed.success) {
    throw new TimestampConfigError(`invalid timestamp authority settings: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  }
  const { REDLINE_TSA_URLS: urls, REDLINE_TSA_CA_FILE: caFile } = parsed.data;
  if (urls.length === 0) return [];
  const { roots } = readTsaRoots(caFile!);
  return authoritiesFromConfig({ urls, roots, timeoutMs: HTTP_TSA_DEFAULTS.timeoutMs });
}

/** The capture use case's ports, built from AWS adapters. */
export function awsCaptureDeps(
  env: z.infer<typeof CaptureWorkerEnvSchema>,
  clients: AwsClients,
): CaptureDeps {
  const catalog = new DynamoCatalog(clients.dynamo, env.TABLE_NAME);
  const policy = { allowPrivateNetwork: env.REDLINE_ALLOW_PRIVATE_NETWORK === '1' };
  const userAgent = userAgentFor(env.REDLINE_CONTACT_URL);
  const fetcher = new UndiciFetcher({ policy, userAgent });
  const blobs = new S3BlobStore(clients.s3, env.BUCKET_NAME);
  const timestamps = awsTimestampAuthorities(env);
  return {
    blobs,
    links: new ViewerHashLinks(env.VIEWER_URL),
    journal: catalog,
    watches: catalog,
    captures: catalog,
    versions: catalog,
    notifier: new SnsNotifier(clients.sns, env.TOPIC_ARN, env.ALERTS_TOPIC_ARN),
    fetcher,
    politeness: new Politeness(fetcher, systemClock),
    // Lambda needs @sparticuz/chromium's single-process model (ADR 0006).
    renderer: new ChromiumRenderer({ policy, userAgent, processModel: 'single' }),
    pdf: isolatedPdfExtractor,
    html: isolatedHtmlExtractor,
    ...(timestamps.length ? { timestamps } : {}),
    clock: systemClock,
    logger: powertoolsLogger('redline-capture'),
    options: { journal: { staleSeconds: env.CAPTURE_TIMEOUT_SECONDS } },
  };
}
