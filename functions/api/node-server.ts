import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { type ApiDeps, createApp, createArchiveApp } from './app.js';
import { withViewer } from './viewer/serve.js';
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

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * On a loopback address, answers only requests whose Host names it (127.0.0.1, localhost or [::1] with
 * the port): a web page cannot reach the API through a DNS name rebound to 127.0.0.1.
 */
function guardHost(
  fetch: (request: Request) => Response | Promise<Response>,
  host: string,
  urls: () => ApiUrls | undefined,
): (request: Request) => Response | Promise<Response> {
  if (!LOOPBACK.has(host)) return fetch;
  return (request) => {
    const current = urls();
    const header = request.headers.get('host') ?? '';
    const port = /:(\d+)$/.exec(header)?.[1];
    const name = header.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const ports = current ? [new URL(current.app).port, new URL(current.archive).port] : [];
    if (!LOOPBACK.has(name) || !port || !ports.includes(port))
      return Response.json(
        { error: { status: 403, code: 'forbidden_host', message: `not served to Host ${header}` } },
        { status: 403 },
      );
    return fetch(request);
  };
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
  const appServer = createServer(
    getRequestListener(guardHost(withViewer(app.fetch, current), options.host, () => urls)),
  );
  const archiveServer = createServer(getRequestListener(guardHost(archive.fetch, options.host, () => urls)));
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
