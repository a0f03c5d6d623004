import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { NetworkPolicy } from '../../core/domain/net-policy.js';
import { DEFAULT_CAPTURE_OPTIONS } from '../../core/domain/options.js';
import { type Resolver, resolveChecked, systemResolver } from './resolve.js';

export interface DeniedConnection {
  host: string;
  reason: string;
}

/** Headers about the hop between the browser and the proxy, never passed on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** A TCP port as a client may name it: an integer from 1 to 65535, digits only. */
export function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65_535 ? port : undefined;
}

/** When either side closes or fails, the other is destroyed too: no socket outlives its peer. */
function tie(browser: Duplex, upstream: Duplex): void {
  const end = () => {
    browser.destroy();
    upstream.destroy();
  };
  for (const side of [browser, upstream]) {
    side.on('error', end);
    side.on('close', end);
  }
}

/**
 * A forward proxy on 127.0.0.1 that every browser connection goes through (HTTP, CONNECT for TLS and
 * WebSockets, upgrades). Each target is resolved once, checked by the network policy, and connected to
 * by the checked address: the browser itself never resolves or connects to anything else. Every
 * upstream socket lives only as long as the browser connection it serves; `close()` ends them all.
 */
export class GuardProxy {
  private server?: Server;
  private closed = false;
  readonly denied: DeniedConnection[] = [];
  private readonly sockets = new Set<Duplex>();
  private readonly upstreams = new Set<Socket>();
  /** Upstream connections open per host, and who waits for one: at most `perHost` at once. */
  private readonly open = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  /** The checked address each host last resolved to (bounded): the server address a WARC names. */
  private readonly addresses = new Map<string, string>();

  constructor(
    private readonly policy: NetworkPolicy,
    private readonly resolver: Resolver = systemResolver,
    private readonly perHost = DEFAULT_CAPTURE_OPTIONS.connections.perHost,
  ) {}

  /** Upstream sockets open now (for tests and diagnostics). */
  get openUpstreams(): number {
    return this.upstreams.size;
  }

  /** Waits for one of the host's connection slots; the returned function gives it back (once). */
  private async slot(host: string): Promise<() => void> {
    if ((this.open.get(host) ?? 0) >= this.perHost) {
      await new Promise<void>((resolve) =>
        this.waiting.set(host, [...(this.waiting.get(host) ?? []), resolve]),
      );
    }
    this.open.set(host, (this.open.get(host) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open.set(host, (this.open.get(host) ?? 1) - 1);
      const next = this.waiting.get(host)?.shift();
      next?.();
    };
  }

  /**
   * Takes a slot for `host`, given back when `holder` closes; undefined (and no slot held) if the
   * holder closed, or the proxy did, while it waited.
   */
  private async slotFor(host: string, holder: Duplex | ServerResponse): Promise<boolean> {
    const release = await this.slot(host);
    if (this.closed || holder.destroyed || holder.closed) {
      release();
      return false;
    }
    holder.once('close', release);
    return true;
  }

  private track(upstream: Socket): Socket {
    if (this.closed) upstream.destroy();
    this.upstreams.add(upstream);
    upstream.once('close', () => this.upstreams.delete(upstream));
    return upstream;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.onRequest(req, res).catch(() => res.destroy());
    });
    server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.onConnect(req, socket, head).catch(() => socket.destroy());
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.onUpgrade(req, socket, head).catch(() => socket.destroy());
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    // Whoever waits for a slot wakes up, sees the proxy closed, and gives it back.
    for (const queue of this.waiting.values()) for (const wake of queue.splice(0)) wake();
    for (const socket of this.sockets) socket.destroy();
    for (const upstream of this.upstreams) upstream.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The address the proxy last connected `host` to (the browser sees only the proxy's own address). */
  addressOf(host: string): string | undefined {
    return this.addresses.get(host.replace(/^\[(.*)\]$/, '$1').toLowerCase());
  }

  private async check(host: string): Promise<string | undefined> {
    try {
      const address = await resolveChecked(host, this.policy, this.resolver);
      if (this.addresses.size >= 1_000) this.addresses.clear();
      this.addresses.set(host.replace(/^\[(.*)\]$/, '$1').toLowerCase(), address);
      return address;
    } catch (error) {
      this.denied.push({ host, reason: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    const port = parsePort(target.port || '80');
    if (target.protocol !== 'http:' || port === undefined) {
      res.writeHead(400).end();
      return;
    }
    const address = await this.check(target.hostname);
    if (!address) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('blocked by Redline network guard');
      return;
    }
    // The slot is the response's: a keep-alive browser connection carries many of them.
    if (!(await this.slotFor(target.hostname, res))) return;
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name)) headers[name] = value;
    }
    // A connection of its own per request (agent: false, Connection: close): nothing pooled outlives it.
    const upstream = request({
      host: address,
      port,
      method: req.method,
      path: `${target.pathname}${target.search}`,
      headers: { ...headers, host: target.host },
      setHost: false,
      agent: false,
    });
    upstream.on('socket', (socket) => this.track(socket));
    upstream.on('response', (response) => {
      // The upstream cut the response short: the browser must not take it for a whole one.
      response.on('error', () => res.destroy());
      response.on('close', () => {
        if (!response.complete) res.destroy();
      });
      const passed: IncomingHttpHeaders = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (!HOP_BY_HOP.has(name) || name === 'transfer-encoding') passed[name] = value;
      }
      res.writeHead(response.statusCode ?? 502, passed);
      response.pipe(res);
    });
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    // The browser went away (or the response is done): the upstream request and its socket go too.
    res.on('close', () => upstream.destroy());
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
  }

  /** `host:port` of a CONNECT, or undefined when it does not name a valid one. */
  private static connectTarget(authority: string): { host: string; port: number } | undefined {
    const match = /^\[?([^\]\s]+?)\]?:([^:\]]*)$/.exec(authority);
    const port = match && parsePort(match[2]!);
    return match && port ? { host: match[1]!, port } : undefined;
  }

  private async onConnect(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const target = GuardProxy.connectTarget(req.url ?? '');
    if (!target) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const address = await this.check(target.host);
    if (!address) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    if (!(await this.slotFor(target.host, socket))) return;
    const upstream = this.track(connect(target.port, address));
    tie(socket, upstream);
    upstream.once('connect', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
  }

  /** Plain-HTTP WebSocket upgrades (ws://): same check, then a raw tunnel carrying the original request. */
  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const port = parsePort(target.port || '80');
    if (port === undefined) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const address = await this.check(target.hostname);
    if (!address) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    if (!(await this.slotFor(target.hostname, socket))) return;
    const upstream = this.track(connect(port, address));
    tie(socket, upstream);
    upstream.once('connect', () => {
      const lines = [`${req.method} ${target.pathname}${target.search} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i]!;
        if (!/^proxy-/i.test(name)) lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
  }
}
