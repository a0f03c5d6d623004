import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';
import { CaptureWorkerEnvSchema } from '../../functions/contracts/env.js';
import type { CaptureDeps } from '../../functions/core/capture/capture.js';
import type { Clock } from '../../functions/core/domain/clock.js';
import { silentLogger } from '../../functions/core/domain/ports.js';
import { awsCaptureDeps } from '../../functions/handlers/aws-context.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'us-east-1';

/** dynalite (DynamoDB on LevelDB, in memory) on 127.0.0.1. */
export async function startDynalite(path?: string) {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(path ? { path } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region, credentials });
  return {
    endpoint,
    client,
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** fauxqs (SNS, SQS and S3 in memory) on 127.0.0.1. */
export async function startAwsEmulator() {
  const server = await startFauxqs({ port: 0, logger: false });
  const endpoint = server.address;
  const s3 = new S3Client({ endpoint, region, credentials, forcePathStyle: true });
  const sns = new SNSClient({ endpoint, region, credentials });
  const sqs = new SQSClient({ endpoint, region, credentials });
  return {
    server,
    endpoint,
    s3,
    sns,
    sqs,
    async stop() {
      s3.destroy();
      sns.destroy();
      sqs.destroy();
      await server.stop();
    },
  };
}

/** A topic with an SQS queue subscribed (raw delivery), to read what was published. */
export async function topicWithQueue(aws: { sns: SNSClient; sqs: SQSClient }, name: string) {
  const { TopicArn } = await aws.sns.send(new CreateTopicCommand({ Name: name }));
  const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: `${name}-inbox` }));
  const { Attributes } = await aws.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await aws.sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'sqs',
      Endpoint: Attributes!.QueueArn,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  return { topicArn: TopicArn!, queueUrl: QueueUrl! };
}

/**
 * The real capture worker's ports on the emulators (as `awsCaptureDeps` builds them in Lambda), allowed
 * onto 127.0.0.1 for the fixture site, quiet, and without per-host pacing (one host, many captures).
 */
export function emulatedWorker(
  db: { client: DynamoDBClient },
  aws: { s3: S3Client; sns: SNSClient },
  stage: { table: string; bucket: string; editsTopicArn: string; alertsTopicArn: string },
  clock?: Clock,
): CaptureDeps {
  const env = CaptureWorkerEnvSchema.parse({
    TABLE_NAME: stage.table,
    BUCKET_NAME: stage.bucket,
    TOPIC_ARN: stage.editsTopicArn,
    ALERTS_TOPIC_ARN: stage.alertsTopicArn,
    REDLINE_CONTACT_URL: 'https://example.org/redline',
    VIEWER_URL: 'https://viewer.example',
    REDLINE_ALLOW_PRIVATE_NETWORK: '1',
  });
  const deps: CaptureDeps = {
    ...awsCaptureDeps(env, { dynamo: db.client, s3: aws.s3, sns: aws.sns }),
    logger: silentLogger,
    ...(clock ? { clock } : {}),
  };
  delete deps.politeness;
  return deps;
}
