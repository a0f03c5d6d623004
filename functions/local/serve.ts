import { readTsaRoots } from '../adapters/tsa/config.js';
import type { ExportsDeps } from '../api/exports.js';
import { type ApiServers, startApiServers } from '../api/node-server.js';
import { ViewerHashLinks } from '../api/viewer/links.js';
import type { CaptureResult } from '../core/capture/capture.js';
import { captureDueWatches } from '../core/capture/run-due.js';
import type { LocalRuntime } from './runtime.js';

export interface ServeOptions {
  host: string;
  /** The app origin's port (0: any free port). The archive origin listens on the next port, or any free one with 0. */
  port: number;
  /** Run the scheduler (the loop of `redline run`) in this process. */
  schedule: boolean;
  /** Seconds between scheduler passes. */
  pollSeconds: number;
  /** Called with each capture the scheduler makes. */
  onCapture?: (result: CaptureResult) => void;
  onError?: (error: unknown) => void;
}

export interface LocalServer extends ApiServers {
  /** Stops the scheduler (after the capture in progress) and the listeners. */
  close(): Promise<void>;
}

/**
 * `redline serve`: the API and Memento on the app origin, archived bytes on the archive origin (the next
 * port: a different origin), and the scheduler unless told not to. Notification links point at this server.
 */
export async function serveLocal(rt: LocalRuntime, options: ServeOptions): Promise<LocalServer> {
  // Evidence bundles carry the TSA roots (tsa-ca.pem) so their tokens verify offline.
  const caFile = rt.config.tsa.REDLINE_TSA_CA_FILE;
  const tsaCaPem = caFile ? readTsaRoots(caFile).pem : undefined;
  const deps: ExportsDeps = tsaCaPem === undefined ? rt : { ...rt, tsaCaPem };
  const servers = await startApiServers(deps, {
    host: options.host,
    port: options.port,
    archivePort: options.port === 0 ? 0 : options.port + 1,
  });
  rt.links = new ViewerHashLinks(servers.urls.app);
  const stop = new AbortController();
  const scheduler = options.schedule ? schedule(rt, options, stop.signal) : Promise.resolve();
  return {
    urls: servers.urls,
    async close() {
      stop.abort();
      await scheduler;
      await servers.close();
    },
  };
}

async function schedule(rt: LocalRuntime, options: ServeOptions, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const summary = await captureDueWatches(rt, { signal });
      for (const result of summary.results) options.onCapture?.(result);
    } catch (error) {
      options.onError?.(error);
    }
    for (let waited = 0; waited < options.pollSeconds * 1000 && !signal.aborted; waited += 250)
      await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
