import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { findEntry } from '../adapters/entry.js';
import { RedlineError } from '../core/domain/errors.js';
import { readStoreInfo, SESSION_PATH, STORE_BUSY_EXIT, type StoreInfo, storeLogOf } from './store-file.js';

/** The data dir's store could not be reached or started in time (another program holds its database?). */
export class DataDirBusyError extends RedlineError {}
/** The store process failed to start (its log is `<dataDir>/store.log`). */
export class StoreStartError extends RedlineError {}

export interface StoreConnectOptions {
  /** How long to wait for a store to answer, starting one if needed. */
  timeoutMs?: number;
  /** How many store processes one connect may start (each that finds the database locked exits at once). */
  maxStarts?: number;
}

const STORE_LOG_MAX_BYTES = 1024 * 1024;
const SESSION_ANSWER_MS = 5_000;

/** How to run the store entry beside this module (`redline-store.js` compiled, `store-main.ts` from sources). */
export function storeEntry(): { file: string; nodeArgs: string[] } {
  const entry = findEntry(import.meta.url, { source: 'store-main', compiled: 'redline-store' });
  if ('missing' in entry)
    throw new StoreStartError(`the store entry is missing: looked for ${entry.missing.join(', ')}`);
  return { file: fileURLToPath(entry.url), nodeArgs: entry.execArgv };
}

/** `Authorization` as the store checks it: the token is the access key id of a SigV4 credential. */
export const authorizationFor = (token: string, scope = 'redline/session') =>
  `AWS4-HMAC-SHA256 Credential=${token}/${scope}`;

/** Opens a session (a GET the store holds open): resolves once the store has answered 200 to this token. */
function openSession(info: StoreInfo, onClose: () => void): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: info.port,
      path: SESSION_PATH,
      method: 'GET',
      agent: false,
      headers: { authorization: authorizationFor(info.token) },
    });
    const timer = setTimeout(() => req.destroy(new Error('the store did not answer')), SESSION_ANSWER_MS);
    req.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.once('response', (res: IncomingMessage) => {
      clearTimeout(timer);
      if (res.statusCode !== 200) {
        res.resume();
        req.destroy();
        reject(new Error(`the store answered ${res.statusCode}`));
        return;
      }
      res.resume();
      res.once('close', onClose);
      req.on('error', () => {}); // the store going away is reported through onClose
      req.socket?.unref(); // a session never keeps the command's process alive
      resolve(req);
    });
    req.end();
  });
}

/**
 * A command's link to its data dir's store process: reads store.json, opens a session with the store it
 * names, or starts a store (`node redline-store.js <dataDir>`, detached) and waits for its store.json.
 * The session keeps the store up while this process runs; if the store goes away (killed), the next
 * `current()` finds or starts another.
 */
export class StoreConnection {
  private info: StoreInfo | undefined;
  private session: ClientRequest | undefined;
  private connecting: Promise<StoreInfo> | undefined;
  private closed = false;

  private constructor(
    readonly dataDir: string,
    private readonly options: StoreConnectOptions,
  ) {}

  static async open(dataDir: string, options: StoreConnectOptions = {}): Promise<StoreConnection> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const connection = new StoreConnection(dataDir, options);
    await connection.current();
    return connection;
  }

  /** The store this process has a live session with, connecting (or starting one) if there is none. */
  current(): Promise<StoreInfo> {
    if (this.closed) return Promise.reject(new RedlineError('the store connection is closed'));
    if (this.info && this.session) return Promise.resolve(this.info);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Forgets the store (a request to it failed to connect): the next `current()` looks again. */
  lost(): void {
    this.session?.destroy();
    this.session = undefined;
    this.info = undefined;
  }

  close(): void {
    this.closed = true;
    this.lost();
  }

  private async connect(): Promise<StoreInfo> {
    const deadline = Date.now() + (this.options.timeoutMs ?? 30_000);
    const maxStarts = this.options.maxStarts ?? 5;
    let starts = 0;
    let child: ChildProcess | undefined;
    let exit: number | null | undefined;
    for (let attempt = 0; ; attempt++) {
      const info = await readStoreInfo(this.dataDir);
      if (info) {
        const session = await openSession(info, () => {
          if (this.session === session) this.lost();
        }).catch(() => undefined);
        if (session) {
          this.info = info;
          this.session = session;
          return info;
        }
      }
      if (exit !== undefined && exit !== 0 && exit !== STORE_BUSY_EXIT) {
        throw new StoreStartError(
          `the store for ${this.dataDir} failed to start (exit ${exit}): ${await this.logTail()}`,
        );
      }
      if ((!child || exit !== undefined) && starts < maxStarts) {
        starts++;
        exit = undefined;
        child = this.start();
        child.once('exit', (code, signal) => {
          exit = code ?? (signal ? 128 : null);
        });
      }
      if (Date.now() > deadline) {
        throw new DataDirBusyError(
          `data dir ${this.dataDir} is in use by a process that does not answer (${starts} store starts)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(10 * 2 ** attempt, 50)));
    }
  }

  private start(): ChildProcess {
    const { file, nodeArgs } = storeEntry();
    const logPath = storeLogOf(this.dataDir);
    let size = 0;
    try {
      size = statSync(logPath).size;
    } catch {}
    const log = openSync(logPath, size > STORE_LOG_MAX_BYTES ? 'w' : 'a', 0o600);
    try {
      const child = spawn(process.execPath, [...nodeArgs, file, this.dataDir], {
        cwd: this.dataDir,
        detached: true,
        stdio: ['ignore', log, log],
        env: process.env,
      });
      child.on('error', () => {}); // reported as its exit
      child.unref();
      return child;
    } finally {
      closeSync(log);
    }
  }

  /** The last failure the store logged (its JSON lines in store.log), for the error message. */
  private async logTail(): Promise<string> {
    const path = storeLogOf(this.dataDir);
    try {
      const lines = (await readFile(path, 'utf8')).trim().split('\n').slice(-20).reverse();
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { level?: string; error?: string };
          if (entry.level === 'error' && entry.error) return `${entry.error.slice(0, 1_000)} (see ${path})`;
        } catch {}
      }
    } catch {}
    return `see ${path}`;
  }
}
