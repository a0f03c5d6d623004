import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { ChromiumRenderer } from '../adapters/chromium/chromium-renderer.js';
import { DynamoCatalog } from '../adapters/dynamo/dynamo-catalog.js';
import { FileLinks } from '../adapters/fs/file-links.js';
import { FsBlobStore } from '../adapters/fs/fs-blob-store.js';
import { OutboxNotifier } from '../adapters/fs/outbox-notifier.js';
import { UndiciFetcher } from '../adapters/net/undici-fetcher.js';
import { isolatedPdfExtractor } from '../adapters/pdf/isolated-pdf.js';
import type { CaptureDeps } from '../core/capture/capture.js';
import { DEFAULT_POLITENESS, Politeness } from '../core/capture/politeness.js';
import { systemClock } from '../core/domain/clock.js';
import { RedlineError } from '../core/domain/errors.js';
import { type Logger, silentLogger } from '../core/domain/ports.js';
import type { LocalConfig } from './config.js';

export const LOCAL_TABLE = 'redline';

export interface LocalRuntime extends CaptureDeps {
  config: LocalConfig;
  blobs: FsBlobStore;
  outboxPath: string;
  close(): Promise<void>;
}

export class DataDirBusyError extends RedlineError {}

async function startDatabase(dataDir: string) {
  const server = dynalite({
    path: join(dataDir, 'dynamodb'),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const catalog = new DynamoCatalog(client, LOCAL_TABLE);
  try {
    await catalog.ensureTable();
  } catch (error) {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  return { server, client, catalog };
}

/** Starts embedded DynamoDB (dynalite, persisted in the data dir) and wires the local adapters. */
export async function openLocal(config: LocalConfig, logger: Logger = silentLogger): Promise<LocalRuntime> {
  await mkdir(config.dataDir, { recursive: true });
  // A database this process just closed may hold its LevelDB lock a moment longer: retry briefly.
  let opened: Awaited<ReturnType<typeof startDatabase>> | undefined;
  for (let attempt = 0; !opened; attempt++) {
    try {
      opened = await startDatabase(config.dataDir);
    } catch (cause) {
      const locked = /lock/i.test(String((cause as Error)?.message));
      if (locked && attempt < 20) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      throw new DataDirBusyError(
        locked
          ? `data dir ${config.dataDir} is in use by another redline process`
          : `could not open the database in ${config.dataDir}`,
        { cause },
      );
    }
  }
  const { server, client, catalog } = opened;
  const policy = { allowPrivateNetwork: config.allowPrivateNetwork };
  const fetcher = new UndiciFetcher({ policy, userAgent: config.userAgent });
  const renderer = new ChromiumRenderer({ policy, userAgent: config.userAgent });
  const outboxPath = join(config.dataDir, 'notifications.jsonl');
  const blobs = new FsBlobStore(join(config.dataDir, 'blobs'));
  return {
    config,
    blobs,
    links: new FileLinks(blobs),
    journal: catalog,
    watches: catalog,
    captures: catalog,
    versions: catalog,
    notifier: new OutboxNotifier(outboxPath),
    fetcher,
    renderer,
    pdf: isolatedPdfExtractor,
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
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
