import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSecretString, SecretReadError } from '../../functions/adapters/secrets/secrets-manager.js';
import { startSecretsStandIn } from '../support/secrets-standin.js';

/**
 * The Secrets Manager adapter (the SDK's GetSecretValue, SigV4) against the stand-in the shipped
 * suite uses too (no Secrets Manager emulator is installed): signed for the right service, the secret's
 * string back, and each failure a SecretReadError.
 */
let secrets: Awaited<ReturnType<typeof startSecretsStandIn>>;
const saved = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  // The function's credentials in Lambda come from its environment; so do these.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'secret-example';
  secrets = await startSecretsStandIn('eu-west-1', '123456789012');
});
afterAll(async () => {
  await secrets?.stop();
  if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
  else process.env.AWS_ACCESS_KEY_ID = saved.id;
  if (saved.key === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  else process.env.AWS_SECRET_ACCESS_KEY = saved.key;
});

describe('readSecretString', () => {
  it('reads the secret string with a SigV4-signed GetSecretValue', async () => {
    const arn = secrets.create('ArchiveLinkKey');
    const value = await readSecretString(arn, { region: 'eu-west-1', endpoint: secrets.endpoint });
    expect(value).toBe(secrets.value(arn));
    expect(value).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(secrets.requests.at(-1)).toEqual({
      target: 'secretsmanager.GetSecretValue',
      secretId: arn,
      signed: true,
    });
  });

  it('names the secret when it is missing, and when Secrets Manager cannot be reached', async () => {
    const missing = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:nope-AbCdEf';
    await expect(
      readSecretString(missing, { region: 'eu-west-1', endpoint: secrets.endpoint }),
    ).rejects.toThrow(
      new SecretReadError(`GetSecretValue ${missing}: ResourceNotFoundException: no secret ${missing}`),
    );
    await expect(
      readSecretString(missing, { region: 'eu-west-1', endpoint: 'http://127.0.0.1:9', timeoutMs: 5000 }),
    ).rejects.toBeInstanceOf(SecretReadError);
  });
});
