import type * as pkijs from 'pkijs';
import { request } from 'undici';
import { type Clock, systemClock } from '../../core/domain/clock.js';
import { TimestampAuthorityError } from '../../core/domain/errors.js';
import type { TimestampAuthority } from '../../core/proof/ports.js';
import {
  buildTimestampRequest,
  DEFAULT_MAX_SKEW_MS,
  type TimestampToken,
  verifyTimestampReply,
} from '../../core/proof/timestamp.js';

export interface HttpTsaOptions {
  url: string;
  /** Trusted roots the TSA's signer certificate must chain to. */
  roots: readonly pkijs.Certificate[];
  /** The whole exchange, connect to last byte. */
  timeoutMs?: number;
  /** Largest reply accepted; real replies are 2–10 KB. */
  maxReplyBytes?: number;
  maxSkewMs?: number;
  clock?: Clock;
}

export const HTTP_TSA_DEFAULTS = { timeoutMs: 15_000, maxReplyBytes: 64 * 1024 } as const;

/** An RFC 3161 authority over HTTP (RFC 3161 §3.4): POST application/timestamp-query, read application/timestamp-reply. */
export class HttpTimestampAuthority implements TimestampAuthority {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly maxReplyBytes: number;

  constructor(private readonly options: HttpTsaOptions) {
    this.url = options.url;
    this.timeoutMs = options.timeoutMs ?? HTTP_TSA_DEFAULTS.timeoutMs;
    this.maxReplyBytes = options.maxReplyBytes ?? HTTP_TSA_DEFAULTS.maxReplyBytes;
  }

  async stamp(digestHex: string, signal?: AbortSignal): Promise<TimestampToken> {
    const query = buildTimestampRequest(digestHex);
    const reply = await this.post(query.der, signal);
    return verifyTimestampReply(reply, {
      digestHex,
      nonce: query.nonce,
      roots: this.options.roots,
      now: (this.options.clock ?? systemClock).now(),
      maxSkewMs: this.options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS,
    });
  }

  private async post(body: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const failure = (error: unknown): TimestampAuthorityError => {
      if (error instanceof TimestampAuthorityError) return error;
      if (timeout.aborted) {
        return new TimestampAuthorityError(this.url, 'timeout', `no reply within ${this.timeoutMs} ms`, {
          cause: error,
        });
      }
      if (signal?.aborted)
        return new TimestampAuthorityError(this.url, 'aborted', 'aborted', { cause: error });
      const message = error instanceof Error ? error.message : String(error);
      return new TimestampAuthorityError(this.url, 'network', message, { cause: error });
    };
    try {
      const response = await request(this.url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
        signal: combined,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const reject = (reason: 'http-status' | 'content-type' | 'too-large', message: string) => {
        // Destroying a body undici is still reading emits an AbortError: it is the expected end here.
        response.body.on('error', () => {});
        response.body.destroy();
        return new TimestampAuthorityError(this.url, reason, message);
      };
      if (response.statusCode !== 200) throw reject('http-status', `HTTP ${response.statusCode}`);
      const type = String(response.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim()
        .toLowerCase();
      if (type !== 'application/timestamp-reply') {
        throw reject(
          'content-type',
          `replied with ${type || 'no content type'}, not application/timestamp-reply`,
        );
      }
      const declared = Number(response.headers['content-length'] ?? Number.NaN);
      if (declared > this.maxReplyBytes) {
        throw reject('too-large', `reply of ${declared} bytes exceeds ${this.maxReplyBytes}`);
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > this.maxReplyBytes) throw reject('too-large', `reply exceeds ${this.maxReplyBytes} bytes`);
        chunks.push(chunk);
      }
      return new Uint8Array(Buffer.concat(chunks));
    } catch (error) {
      throw failure(error);
    }
  }
}
