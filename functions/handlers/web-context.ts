import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoCatalog } from '../adapters/dynamo/dynamo-catalog.js';
import { powertoolsLogger } from '../adapters/powertools-logger.js';
import { S3BlobStore } from '../adapters/s3/s3-blob-store.js';
import { readSecretString } from '../adapters/secrets/secrets-manager.js';
import type { ApiDeps } from '../api/app.js';
import { systemClock } from '../core/domain/clock.js';

/** The API and archive functions' SDK clients (pointed at emulators in tests). */
export interface WebClients {
  dynamo: DynamoDBClient;
  s3: S3Client;
}

export const defaultWebClients = (): WebClients => ({ dynamo: new DynamoDBClient({}), s3: new S3Client({}) });

/** The API core's read ports on the catalog table and the blob bucket. */
export function webDeps(
  env: { TABLE_NAME: string; BUCKET_NAME: string },
  clients: WebClients,
  service: string,
): ApiDeps {
  const catalog = new DynamoCatalog(clients.dynamo, env.TABLE_NAME);
  return {
    watches: catalog,
    captures: catalog,
    versions: catalog,
    blobs: new S3BlobStore(clients.s3, env.BUCKET_NAME),
    clock: systemClock,
    logger: powertoolsLogger(service),
  };
}

/** The archive links' HMAC key: the secret's string as UTF-8 bytes (CDK generates 64 characters). */
export async function archiveKey(secretArn: string): Promise<Uint8Array> {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return Buffer.from(await readSecretString(secretArn, { region }), 'utf8');
}

/** Archived bytes and API JSON alike travel base64-encoded: bytes arrive exactly as stored, in any charset. */
export const ALWAYS_BINARY = { isContentTypeBinary: () => true };

/** A promise made once per execution environment, made again after a failure (a cold start that failed). */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= make().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
