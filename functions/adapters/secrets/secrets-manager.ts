import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { RedlineError } from '../../core/domain/errors.js';

export class SecretReadError extends RedlineError {}

/** SHA-256 and HMAC-SHA256 from node:crypto, in the shape SigV4 signing asks for. */
type Source = string | ArrayBuffer | ArrayBufferView;
const bytesOf = (data: Source): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

class NodeSha256 {
  private hash: Hash | Hmac;
  private readonly secret?: Buffer;
  constructor(secret?: Source) {
    if (secret !== undefined) this.secret = bytesOf(secret);
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: Source): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

export interface SecretsManagerOptions {
  region: string;
  /** Default: `AWS_ENDPOINT_URL_SECRETS_MANAGER` (as the SDK reads it), else the regional endpoint. */
  endpoint?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * `GetSecretValue` (Secrets Manager's JSON 1.1 protocol, SigV4 with the function's credentials) for one
 * string secret. Written against the wire protocol because `@aws-sdk/client-secrets-manager` is not among
 * the installed packages; it is the same request the client sends, and the Lambda role's
 * `secretsmanager:GetSecretValue` on this secret is all it needs.
 */
export async function readSecretString(secretId: string, options: SecretsManagerOptions): Promise<string> {
  const endpoint = new URL(
    options.endpoint ??
      process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ??
      `https://secretsmanager.${options.region}.amazonaws.com`,
  );
  const body = JSON.stringify({ SecretId: secretId });
  const signer = new SignatureV4({
    service: 'secretsmanager',
    region: options.region,
    credentials: defaultProvider(),
    sha256: NodeSha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
    path: '/',
    query: {},
    headers: {
      host: endpoint.host,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'secretsmanager.GetSecretValue',
    },
    body,
  });
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(new URL('/', endpoint), {
      method: 'POST',
      headers: signed.headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (cause) {
    throw new SecretReadError(`could not reach Secrets Manager for ${secretId}`, { cause });
  }
  const text = await response.text();
  if (!response.ok)
    throw new SecretReadError(`GetSecretValue ${secretId}: HTTP ${response.status} ${text.slice(0, 300)}`);
  let parsed: { SecretString?: unknown };
  try {
    parsed = JSON.parse(text) as { SecretString?: unknown };
  } catch (cause) {
    throw new SecretReadError(`GetSecretValue ${secretId}: not JSON`, { cause });
  }
  if (typeof parsed.SecretString !== 'string' || parsed.SecretString.length === 0)
    throw new SecretReadError(`GetSecretValue ${secretId}: no SecretString`);
  return parsed.SecretString;
}
