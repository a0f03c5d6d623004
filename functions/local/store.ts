import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { DynamoCatalog } from '../adapters/dynamo/dynamo-catalog.js';
import { RedlineError } from '../core/domain/errors.js';
import { type Logger, silentLogger } from '../core/domain/ports.js';
import {
  accessKeyIdOf,
  LOCAL_TABLE,
  readStoreInfo,
  removeStoreInfo,
  SESSION_PATH,
  type StoreInfo,
  writeStoreInfo,
} from './store-file.js';

/** Another process holds the data dir's database (its LevelDB lock). */
export class StoreBusyError extends RedlineError {}

export interface StoreOptions {
  dataDir: string;
  /** The store exits after this long with no client session and no request in flight. */
  idleMs: number;
  /** How often it checks that store.json still names it (it exits if the file was removed or replaced). */
  checkMs?: number;
  /** How long to retry taking a lock another store is releasing. */
  lockWaitMs?: number;
  logger?: Logger;
}

export interface RunningStore {
  info: StoreInfo;
  /** Settles when the store has shut down, with why. */
  closed: Promise<string>;
  shutdown(reason: string): Promise<void>;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

const isAlive = (pid: number) => {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
}
/** dynalite's own LevelDB package (`level`), resolved from dynalite's install: the same version it opens. */
const levelOfDynalite = () => {
  const fromHere = createRequire(import.meta.url);
  return createRequire(fromHere.resolve('dynalite'))('level') as {
    Level: new (path: string, options: { valueEncoding: string }) => LevelDb;
  };
};

/** Opens and closes the LevelDB at `path`: false if another process holds its lock; throws any other failure. */
async function databaseIsFree(path: string): Promise<boolean> {
  const db = new (levelOfDynalite().Level)(path, { valueEncoding: 'json' });
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') return false;
    throw new RedlineError(`could not open the database in ${path}`, { cause: cause ?? error });
  }
  await db.close();
  return true;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/**
 * The data dir's store: dynalite on its LevelDB (this process holds the lock) served on 127.0.0.1, behind
 * a token check, for every redline command working on the data dir. It writes store.json once its table
 * is ready, and exits when idle, when store.json no longer names it, or on SIGTERM/SIGINT.
 */
export async function startStore(options: StoreOptions): Promise<RunningStore> {
  const logger = options.logger ?? silentLogger;
  const { dataDir } = options;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString('hex');
  const expected = Buffer.from(token);
  const authorized = (req: IncomingMessage) => {
    const given = Buffer.from(accessKeyIdOf(req.headers.authorization) ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  let closing = false;
  let sessions = 0;
  let inFlight = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let shutdown: (reason: string) => Promise<void> = async () => {};
  const activity = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    if (closing || sessions + inFlight > 0) return;
    idleTimer = setTimeout(() => void shutdown('idle'), options.idleMs);
  };

  const gate =
    (dynamo: Listener): Listener =>
    (req, res) => {
      if (!authorized(req)) {
        res.writeHead(403, { 'content-type': 'application/x-amz-json-1.0', connection: 'close' });
        res.end(
          JSON.stringify({
            __type: 'com.amazon.coral.service#UnrecognizedClientException',
            message: 'The security token included in the request is invalid.',
          }),
        );
        return;
      }
      if (closing) {
        res.writeHead(503, { connection: 'close' }).end();
        return;
      }
      if (req.method === 'GET' && req.url === SESSION_PATH) {
        sessions++;
        activity();
        res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
        res.write('ok\n');
        res.on('close', () => {
          sessions--;
          activity();
        });
        return;
      }
      inFlight++;
      activity();
      res.on('close', () => {
        inFlight--;
        activity();
      });
      dynamo(req, res);
    };

  // Take the database's lock first, with the real reason when it cannot be opened: a store that is shutting
  // down may hold it a moment longer (retry a while); a store that is up (store.json, live pid) keeps it.
  const dbPath = join(dataDir, 'dynamodb');
  const lockDeadline = Date.now() + (options.lockWaitMs ?? 3_000);
  while (!(await databaseIsFree(dbPath))) {
    const other = await readStoreInfo(dataDir);
    if (Date.now() >= lockDeadline || (other && isAlive(other.pid)))
      throw new StoreBusyError(`the database in ${dbPath} is locked by another process`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // dynalite reopens it at once; should another store take the lock in between, dynalite fails its first
  // request with "Database is closed" (store-main exits as busy then).
  const server = dynalite({ path: dbPath, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
  const dynamo = server.listeners('request')[0] as Listener;
  server.removeAllListeners('request');
  server.on('request', gate(dynamo));
  const port = await listen(server);
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: token, secretAccessKey: 'redline-local' },
    maxAttempts: 1,
  });
  try {
    await new DynamoCatalog(client, LOCAL_TABLE).ensureTable();
  } catch (cause) {
    await closeServer(server);
    throw new RedlineError(`could not open the database in ${dbPath}`, { cause });
  } finally {
    client.destroy();
  }
  const info: StoreInfo = { port, pid: process.pid, token, startedAt: new Date().toISOString() };
  await writeStoreInfo(dataDir, info);
  logger.info('store started', { dataDir, port, pid: process.pid });

  let settle: (reason: string) => void = () => {};
  const closed = new Promise<string>((resolve) => {
    settle = resolve;
  });
  // store.json removed or replaced (a new store, or the data dir deleted): this store is no longer the one.
  const check = setInterval(() => {
    void readStoreInfo(dataDir).then((current) => {
      if (current?.token !== token) void shutdown('store.json no longer names this store');
    });
  }, options.checkMs ?? 2_000);
  check.unref();
  const onSignal = (signal: NodeJS.Signals) => void shutdown(signal);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  shutdown = async (reason: string) => {
    if (closing) return;
    closing = true;
    if (idleTimer) clearTimeout(idleTimer);
    clearInterval(check);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await removeStoreInfo(dataDir, token).catch(() => {});
    await closeServer(server); // dynalite closes its database with the server
    logger.info('store stopped', { dataDir, reason });
    settle(reason);
  };
  activity();
  return { info, closed, shutdown: (reason) => shutdown(reason) };
}
