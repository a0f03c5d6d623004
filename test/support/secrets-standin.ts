import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Secrets Manager's `GetSecretValue` (JSON 1.1 over HTTP) on 127.0.0.1: no emulator of
 * Secrets Manager is installed (fauxqs does SNS, SQS and S3; LocalStack and moto are not available). It
 * answers only for secrets made with `create`, only to requests signed with SigV4 for the
 * `secretsmanager` service, and records each request so tests can see the functions read the key.
 */
export async function startSecretsStandIn(region: string, accountId: string) {
  const secrets = new Map<string, string>();
  const requests: { target: string; secretId: string; signed: boolean }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const auth = String(req.headers.authorization ?? '');
      const signed = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[^/]+\/secretsmanager\/aws4_request, /.test(
        auth,
      );
      let secretId = '';
      try {
        secretId = String(
          (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown }).SecretId,
        );
      } catch {}
      requests.push({ target, secretId, signed });
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (!signed) return answer(403, { __type: 'UnrecognizedClientException', message: 'unsigned' });
      if (target !== 'secretsmanager.GetSecretValue')
        return answer(400, { __type: 'InvalidAction', message: `not emulated: ${target}` });
      const value = secrets.get(secretId);
      if (value === undefined)
        return answer(400, { __type: 'ResourceNotFoundException', message: `no secret ${secretId}` });
      return answer(200, {
        ARN: secretId,
        Name: secretId.split(':').at(-1),
        SecretString: value,
        VersionId: 'v1',
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    requests,
    /** A secret generated as CloudFormation would (64 letters and digits); returns its ARN. */
    create(name: string, value = randomBytes(48).toString('base64url').replace(/[-_]/g, 'x').slice(0, 64)) {
      const arn = `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-AbCdEf`;
      secrets.set(arn, value);
      return arn;
    },
    value(arn: string): string | undefined {
      return secrets.get(arn);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
