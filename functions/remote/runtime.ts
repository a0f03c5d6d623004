import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { readStackOutputs, type StackOutputs } from '../adapters/cloudformation/stack-outputs.js';
import { DynamoCatalog } from '../adapters/dynamo/dynamo-catalog.js';
import { S3BlobStore } from '../adapters/s3/s3-blob-store.js';
import { SqsCaptureQueue } from '../adapters/sqs/sqs-capture-queue.js';
import { CAPTURE_OUTPUTS, DATA_OUTPUTS, stagePrefix } from '../contracts/outputs.js';
import { type Clock, systemClock } from '../core/domain/clock.js';

/** The CLI's ports on a deployed stage: its table, its bucket and its capture queue, found from its stack outputs. */
export interface RemoteRuntime {
  stack: string;
  outputs: StackOutputs;
  watches: DynamoCatalog;
  captures: DynamoCatalog;
  versions: DynamoCatalog;
  blobs: S3BlobStore;
  queue: SqsCaptureQueue;
  clock: Clock;
  close(): Promise<void>;
}

/**
 * Opens a deployed stage with the caller's AWS credentials and region (the SDK's usual chain: profile,
 * environment, SSO). `AWS_ENDPOINT_URL_<SERVICE>` points a client elsewhere (tests, emulators); S3 is
 * then addressed path-style and SQS at that endpoint, as emulators need.
 */
export async function openRemote(stack: string, env: NodeJS.ProcessEnv): Promise<RemoteRuntime> {
  const customS3 = Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
  const customSqs = Boolean(env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL);
  const cfn = new CloudFormationClient({});
  const dynamo = new DynamoDBClient({});
  const s3 = new S3Client({ forcePathStyle: customS3 });
  // A configured endpoint is where SQS is, whatever host its queue URLs name.
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: !customSqs });
  const clients = [cfn, dynamo, s3, sqs];
  try {
    const outputs = await readStackOutputs(cfn, stack);
    const catalog = new DynamoCatalog(dynamo, outputs[DATA_OUTPUTS.tableName]);
    return {
      stack: stagePrefix(stack),
      outputs,
      watches: catalog,
      captures: catalog,
      versions: catalog,
      blobs: new S3BlobStore(s3, outputs[DATA_OUTPUTS.bucketName]),
      queue: new SqsCaptureQueue(sqs, outputs[CAPTURE_OUTPUTS.captureQueueUrl]),
      clock: systemClock,
      async close() {
        for (const client of clients) client.destroy();
      },
    };
  } catch (error) {
    for (const client of clients) client.destroy();
    throw error;
  }
}
