import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChromiumRenderer } from '../adapters/chromium/chromium-renderer.js';
import { DynamoCatalog } from '../adapters/dynamo/dynamo-catalog.js';
import { isolatedHtmlExtractor } from '../adapters/extract/isolated-html.js';
import { FsBlobStore } from '../adapters/fs/fs-blob-store.js';
import { OutboxNotifier } from '../adapters/fs/outbox-notifier.js';
import { UndiciFetcher } from '../adapters/net/undici-fetcher.js';
import { isolatedPdfExtractor } from '../adapters/pdf/isolated-pdf.js';
import { authoritiesFromConfig, tsaConfigFromEnv } from '../adapters/tsa/config.js';
import { ViewerHashLinks } from '../api/viewer/links.js';
import type { CaptureDeps } from '../core/capture/capture.js';
import { DEFAULT_POLITENESS, Politeness } from '../core/capture/politeness.js';
import { systemClock } from '../core/domain/clock.js';
import type { BlobLinks } from '../core/domain/ports.js';
import { type Logger, silentLogger } from '../core/domain/ports.js';
import type { LocalConfig } from './config.js';
import { StoreConnection } from './store-client.js';
import { LOCAL_TABLE } from './store-file.js';

export { LOCAL_TABLE };

export interface LocalRuntime extends CaptureDeps {
  config: LocalConfig;
  blobs: FsBlobStore;
  outboxPath: string;
  /** Notification links; `redline serve` points them at the port it listens on. */
  links: BlobLinks;
  close(): Promise<void>;
}

export { DataDirBusyError } from './store-client.js';

const CONNECTION_LOST = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

/**
 * A DynamoDB client for the data dir's store, wherever it is now: each attempt goes to the store the
 * connection has a session with (starting one if the last went away), with its token as the access key
 * id. A request that cannot reach the store marks it lost and fails as a network error, which the SDK
 * retries.
 */
function storeClient(connection: StoreConnection): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint: 'http://127.0.0.1:1',
    region: 'us-east-1',
    credentials: { accessKeyId: 'redline-store', secretAccessKey: 'redline-local' },
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const info = await connection.current();
      const request = args.request as { port?: number; headers: Record<string, string> };
      request.port = info.port;
      request.headers.host = `127.0.0.1:${info.port}`;
      // The store checks the access key id only (dynalite verifies no signature).
      request.headers.authorization = (request.headers.authorization ?? '').replace(
        /Credential=[^/]*\//,
        `Credential=${info.token}/`,
      );
      try {
        return await next(args);
      } catch (error) {
        if (CONNECTION_LOST.has((error as NodeJS.ErrnoException)?.code ?? '')) connection.lost();
        throw error;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'redlineStoreRoute' },
  );
  return client;
}

/**
 * Opens the data dir for one command: a session with the data dir's store process (started on demand,
 * shared by every redline process on the data dir) and the local adapters.
 */
export async function openLocal(config: LocalConfig, logger: Logger = silentLogger): Promise<LocalRuntime> {
  const timestamps = authoritiesFromConfig(
    await tsaConfigFromEnv(config.tsa, (path) => readFile(path, 'utf8')),
  );
  const connection = await StoreConnection.open(config.dataDir);
  const client = storeClient(connection);
  const catalog = new DynamoCatalog(client, LOCAL_TABLE);
  const policy = { allowPrivateNetwork: config.allowPrivateNetwork };
  const fetcher = new UndiciFetcher({ policy, userAgent: config.userAgent });
  const renderer = new ChromiumRenderer({ policy, userAgent: config.userAgent });
  const outboxPath = join(config.dataDir, 'notifications.jsonl');
  const blobs = new FsBlobStore(join(config.dataDir, 'blobs'));
  return {
    config,
    blobs,
    links: new ViewerHashLinks(config.viewerUrl),
    journal: catalog,
    watches: catalog,
    captures: catalog,
    versions: catalog,
    notifier: new OutboxNotifier(outboxPath),
    fetcher,
    renderer,
    pdf: isolatedPdfExtractor,
    html: isolatedHtmlExtractor,
    ...(timestamps.length ? { timestamps } : {}),
    options: { time: { captureMs: config.captureTimeoutMs } },
    clock: systemClock,
    logger,
    politeness: new Politeness(fetcher, systemClock, {
      ...DEFAULT_POLITENESS,
      minDelayMs: config.minHostDelayMs,
    }),
    outboxPath,
    async close() {
      await renderer.close();
      await fetcher.close();
      client.destroy();
      connection.close();
    },
  };
}
