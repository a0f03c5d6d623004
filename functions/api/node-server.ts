import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { type ApiDeps, createApp, createArchiveApp } from './app.js';
import type { ApiUrls } from './views.js';

export interface ApiServers {
  urls: ApiUrls;
  close(): Promise<void>;
}

export interface ListenOptions {
  host: string;
  /** The app origin's port (0: any free port). */
  port: number;
  /** The archive origin's port (0: any free port); must differ from the app's. */
  archivePort: number;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const originOf = (host: string, port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * The API and Memento on the app origin and the archived bytes on a second listener (the archive origin,
 * a different port and so a different origin). Both bind `host` (127.0.0.1 unless asked otherwise).
 */
export async function startApiServers(deps: ApiDeps, options: ListenOptions): Promise<ApiServers> {
  let urls: ApiUrls | undefined;
  const current = () => urls!;
  const app = createApp(deps, current);
  const archive = createArchiveApp(deps, current);
  const appServer = createServer(getRequestListener(app.fetch));
  const archiveServer = createServer(getRequestListener(archive.fetch));
  try {
    const appPort = await listen(appServer, options.port, options.host);
    const archivePort = await listen(archiveServer, options.archivePort, options.host);
    urls = { app: originOf(options.host, appPort), archive: originOf(options.host, archivePort) };
  } catch (error) {
    await Promise.all([closeServer(appServer), closeServer(archiveServer)]);
    throw error;
  }
  return {
    urls,
    async close() {
      await Promise.all([closeServer(appServer), closeServer(archiveServer)]);
    },
  };
}
