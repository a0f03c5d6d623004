import { X509Certificate } from 'node:crypto';
import type { LookupFunction } from 'node:net';
import { type DetailedPeerCertificate, rootCertificates, TLSSocket } from 'node:tls';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { Agent, buildConnector, request } from 'undici';
import { DeadlineError, FetchError, FetchTimeoutError } from '../../core/domain/errors.js';
import type { NetworkPolicy } from '../../core/domain/net-policy.js';
import { DEFAULT_CAPTURE_OPTIONS } from '../../core/domain/options.js';
import type {
  ConditionalRequest,
  FetchedResponse,
  FetchOptions,
  HttpExchange,
  HttpFetcher,
  TlsConnection,
} from '../../core/domain/ports.js';
import { normalizeUrl } from '../../core/domain/url.js';
import { forbiddenCause, isIpLiteral, type Resolver, resolveChecked, systemResolver } from './resolve.js';

export interface FetcherOptions {
  policy: NetworkPolicy;
  resolver?: Resolver;
  userAgent: string;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks (undici restarts it on every chunk: a drip never trips it). */
  bodyTimeoutMs?: number;
  /** The whole fetch, every redirect hop and body included: a body that drips ends here. */
  totalTimeoutMs?: number;
  maxRedirects?: number;
  /** Bytes on the wire. */
  maxBodyBytes?: number;
  /** Bytes after content decoding. */
  maxDecodedBytes?: number;
  /** Certificates of a server's TLS chain kept, at most, and their DER bytes (CaptureOptions.tls). */
  maxChainCertificates?: number;
  maxChainBytes?: number;
  /**
   * PEM certificates trusted as roots besides Node's bundled ones. Tests pass their own CA here;
   * nothing else should (and nothing ever turns verification off).
   */
  extraTrustedRoots?: string[];
}

type ChainCaps = { maxChainCertificates: number; maxChainBytes: number };

/**
 * The connection's TLS details and chain, leaf first, from Node's verified peer chain (the server's
 * certificates completed up to the trusted root; the root's issuer is itself). Bounded by `caps`.
 */
export function tlsConnectionOf(socket: TLSSocket, origin: string, caps: ChainCaps): TlsConnection {
  const chain: string[] = [];
  let omitted = 0;
  let bytes = 0;
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  // The chain is the server's: walking it is a loop over outside data, so it has a cap of its own.
  for (let depth = 0; cert?.raw && depth < 64; depth++) {
    if (seen.has(cert.fingerprint256)) break;
    seen.add(cert.fingerprint256);
    if (chain.length < caps.maxChainCertificates && bytes + cert.raw.byteLength <= caps.maxChainBytes) {
      chain.push(new X509Certificate(cert.raw).toString());
      bytes += cert.raw.byteLength;
    } else omitted++;
    cert = cert.issuerCertificate;
  }
  const cipher = socket.getCipher();
  return {
    connection: 'fetcher',
    origin,
    ...(socket.remoteAddress ? { ipAddress: socket.remoteAddress.replace(/^::ffff:/, '') } : {}),
    ...(typeof socket.servername === 'string' && socket.servername ? { servername: socket.servername } : {}),
    ...(socket.getProtocol() ? { protocol: socket.getProtocol()! } : {}),
    ...(cipher ? { cipher: cipher.standardName ?? cipher.name } : {}),
    ...(socket.alpnProtocol ? { alpn: socket.alpnProtocol } : {}),
    authorized: socket.authorized,
    chain,
    omitted,
  };
}

/** `https://host[:port]` of a connector's target; undefined when it is not a URL's origin. */
function originOf(protocol: string, hostname: string, port: string): string | undefined {
  try {
    return new URL(`${protocol}//${hostname}${port ? `:${port}` : ''}`).origin;
  } catch {
    return undefined;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DECODERS: Record<string, (input: Buffer, max: number) => Buffer> = {
  gzip: (input, max) => gunzipSync(input, { maxOutputLength: max }),
  'x-gzip': (input, max) => gunzipSync(input, { maxOutputLength: max }),
  deflate: (input, max) => inflateSync(input, { maxOutputLength: max }),
  br: (input, max) => brotliDecompressSync(input, { maxOutputLength: max }),
};
const MAX_ENCODING_LAYERS = 2;

/** HTTP GET through undici; the connection goes to the address the network guard checked, on every hop. */
export class UndiciFetcher implements HttpFetcher {
  private readonly agent: Agent;
  /** The address each host name last resolved to (connections are reused, so kept past the lookup); bounded. */
  private readonly addresses = new Map<string, string>();
  /** The TLS details of each origin's latest connection (connections are reused, so kept past the handshake); bounded. */
  private readonly tls = new Map<string, TlsConnection>();
  private readonly options: Required<Omit<FetcherOptions, 'resolver' | 'extraTrustedRoots'>> & {
    resolver: Resolver;
    extraTrustedRoots?: string[];
  };

  constructor(options: FetcherOptions) {
    this.options = {
      resolver: systemResolver,
      ...DEFAULT_CAPTURE_OPTIONS.fetch,
      ...DEFAULT_CAPTURE_OPTIONS.tls,
      ...options,
    };
    const { policy, resolver } = this.options;
    const guardedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
      resolveChecked(hostname, policy, resolver).then(
        (address) => {
          if (this.addresses.size >= 1_000) this.addresses.clear();
          this.addresses.set(hostname, address);
          const family = address.includes(':') ? 6 : 4;
          if (lookupOptions.all)
            (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
              { address, family },
            ]);
          else callback(null, address, family);
        },
        (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
      );
    };
    const extraRoots = this.options.extraTrustedRoots ?? [];
    // The guard's lookup runs before the TCP connect, so before any TLS: a refused address opens nothing.
    const connector = buildConnector({
      lookup: guardedLookup,
      timeout: this.options.connectTimeoutMs,
      // A resumed session may come without the server's certificates: every connection does a full handshake.
      maxCachedSessions: 0,
      ...(extraRoots.length > 0 ? { ca: [...rootCertificates, ...extraRoots] } : {}),
    });
    const caps = this.options;
    this.agent = new Agent({
      connect: (target, callback) =>
        connector(target, (...result) => {
          const [error, socket] = result;
          if (!error && socket instanceof TLSSocket) {
            const origin = originOf(target.protocol, target.hostname, target.port);
            if (origin) {
              if (this.tls.size >= 1_000) this.tls.clear();
              this.tls.set(origin, tlsConnectionOf(socket, origin, caps));
            }
          }
          callback(...result);
        }),
      headersTimeout: this.options.headersTimeoutMs,
      bodyTimeout: this.options.bodyTimeoutMs,
      connections: 2,
    });
  }

  async fetch(
    url: string,
    conditional: ConditionalRequest = {},
    options: FetchOptions = {},
  ): Promise<FetchedResponse> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const budgetMs = this.options.totalTimeoutMs;
    // One controller stops every hop: the total budget or the caller's signal, whichever comes first.
    const stop = new AbortController();
    const timer = setTimeout(
      () => stop.abort(new DeadlineError('total fetch', budgetMs, elapsed())),
      budgetMs,
    );
    const caller = options.signal;
    const forward = () => stop.abort(caller?.reason);
    if (caller?.aborted) forward();
    else caller?.addEventListener('abort', forward, { once: true });
    const maxBodyBytes = Math.min(
      options.maxBodyBytes ?? Number.POSITIVE_INFINITY,
      this.options.maxBodyBytes,
    );
    try {
      if (stop.signal.aborted) throw stop.signal.reason;
      return await this.follow(url, conditional, stop.signal, maxBodyBytes);
    } catch (error) {
      if (!stop.signal.aborted) throw error;
      const reason: unknown = stop.signal.reason;
      const budget = reason instanceof DeadlineError ? reason.budget : 'caller';
      throw new FetchTimeoutError(url, budget, elapsed(), { cause: reason });
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', forward);
    }
  }

  private async follow(
    url: string,
    conditional: ConditionalRequest,
    signal: AbortSignal,
    maxBodyBytes: number,
  ): Promise<FetchedResponse> {
    let current = normalizeUrl(url);
    const exchanges: HttpExchange[] = [];
    for (let hop = 0; hop <= this.options.maxRedirects; hop++) {
      const target = new URL(current);
      // IP literals never reach the lookup hook, so they are checked here; names are checked at connect.
      if (isIpLiteral(target.hostname))
        await resolveChecked(target.hostname, this.options.policy, this.options.resolver);
      const requestHeaders: Record<string, string> = {
        host: target.host,
        'user-agent': this.options.userAgent,
        accept: 'text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8',
        'accept-encoding': 'gzip, deflate, br',
        ...(hop === 0 && conditional.etag ? { 'if-none-match': conditional.etag } : {}),
        ...(hop === 0 && conditional.lastModified ? { 'if-modified-since': conditional.lastModified } : {}),
      };
      const response = await this.request(current, requestHeaders, signal);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const wireBody = await this.readCapped(response.body, current, maxBodyBytes);
      const literal = target.hostname.replace(/^\[|\]$/g, '');
      const ipAddress = isIpLiteral(target.hostname) ? literal : this.addresses.get(target.hostname);
      const tls = target.protocol === 'https:' ? this.tls.get(target.origin) : undefined;
      exchanges.push({
        url: current,
        requestHeaders,
        status: response.statusCode,
        headers,
        wireBody,
        ...(ipAddress ? { ipAddress } : {}),
        ...(tls ? { tls } : {}),
      });
      if (REDIRECTS.has(response.statusCode)) {
        const location = headers.location;
        if (!location) throw new FetchError(`redirect without Location from ${current}`, 'redirect');
        current = normalizeUrl(new URL(location, current).toString());
        continue;
      }
      const body =
        response.statusCode === 304
          ? new Uint8Array()
          : this.decode(wireBody, headers['content-encoding'] ?? '', current);
      const http = {
        status: response.statusCode,
        finalUrl: current,
        contentType: headers['content-type'] ?? '',
        headers,
      };
      return { http, body, exchanges };
    }
    throw new FetchError(`more than ${this.options.maxRedirects} redirects from ${url}`, 'redirect_limit');
  }

  private async request(url: string, headers: Record<string, string>, signal: AbortSignal) {
    try {
      const { host: _host, ...sent } = headers;
      // undici aborts the connect, the wait for headers, and destroys the body (and its socket) mid-read.
      return await request(url, { dispatcher: this.agent, method: 'GET', headers: sent, signal });
    } catch (error) {
      const forbidden = forbiddenCause(error);
      if (forbidden) throw forbidden;
      if (error instanceof FetchError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new FetchError(`could not fetch ${url}: ${message}`, 'network', { cause: error });
    }
  }

  private async readCapped(
    body: AsyncIterable<Uint8Array> & { destroy(): void },
    url: string,
    maxBodyBytes: number,
  ): Promise<Buffer> {
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const chunk of body) {
        total += chunk.byteLength;
        if (total > maxBodyBytes) {
          throw new FetchError(`body of ${url} exceeds ${maxBodyBytes} bytes`, 'body_too_large');
        }
        chunks.push(chunk);
      }
    } catch (error) {
      body.destroy();
      if (error instanceof FetchError) throw error;
      throw new FetchError(`reading ${url} failed: ${(error as Error).message}`, 'network', { cause: error });
    }
    return Buffer.concat(chunks);
  }

  private decode(raw: Buffer, contentEncoding: string, url: string): Buffer {
    const layers = contentEncoding
      .split(',')
      .map((e) => e.trim().toLowerCase())
      .filter((e) => e && e !== 'identity');
    if (layers.length > MAX_ENCODING_LAYERS) {
      throw new FetchError(`${url} uses ${layers.length} stacked content encodings`, 'too_many_encodings');
    }
    let body = raw;
    for (const encoding of layers.reverse()) {
      const decoder = DECODERS[encoding];
      if (!decoder)
        throw new FetchError(`${url} uses unsupported content encoding ${encoding}`, 'bad_encoding');
      try {
        body = decoder(body, this.options.maxDecodedBytes);
      } catch (cause) {
        const tooBig =
          (cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ||
          /larger than/i.test(String(cause));
        throw new FetchError(
          tooBig
            ? `${url} decodes to more than ${this.options.maxDecodedBytes} bytes`
            : `${url} has a corrupt ${encoding} body`,
          tooBig ? 'decoded_too_large' : 'bad_encoding',
          { cause },
        );
      }
    }
    return body;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
