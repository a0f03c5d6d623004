import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RedlineError } from '../../core/domain/errors.js';

export class SecretReadError extends RedlineError {}

export interface SecretsManagerOptions {
  region: string;
  /** Default: `AWS_ENDPOINT_URL_SECRETS_MANAGER` (the SDK reads it), else the regional endpoint. */
  endpoint?: string;
  timeoutMs?: number;
}

/** One string secret (`GetSecretValue`, the function's credentials); every failure a SecretReadError naming it. */
export async function readSecretString(secretId: string, options: SecretsManagerOptions): Promise<string> {
  const client = new SecretsManagerClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: 3,
  });
  try {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }), {
      abortSignal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    if (typeof answer.SecretString !== 'string' || answer.SecretString.length === 0)
      throw new SecretReadError(`GetSecretValue ${secretId}: no SecretString`);
    return answer.SecretString;
  } catch (cause) {
    if (cause instanceof SecretReadError) throw cause;
    const name = (cause as { name?: string }).name ?? 'Error';
    throw new SecretReadError(`GetSecretValue ${secretId}: ${name}: ${(cause as Error).message}`, { cause });
  } finally {
    client.destroy();
  }
}
