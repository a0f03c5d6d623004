import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { DynamoCatalog } from '../../functions/adapters/dynamo/dynamo-catalog.js';
import type { startAwsEmulator, startDynalite } from './emulators.js';
import { topicWithQueue } from './emulators.js';
import { startSecretsStandIn } from './secrets-standin.js';
import {
  allEnvironmentResources,
  type CloudAssembly,
  environmentReferences,
  functionById,
  LambdaContainer,
  lambdaEnvironment,
  type ResourceRef,
  resolveEnvironment,
  type ShippedFunction,
  ShippedHarnessError,
  sqsEvent,
  withPseudoParameters,
} from './shipped.js';

type Dynalite = Awaited<ReturnType<typeof startDynalite>>;
type AwsEmulator = Awaited<ReturnType<typeof startAwsEmulator>>;

const keyOf = (ref: ResourceRef) =>
  `${ref.stack}/${ref.logicalId}${ref.attribute ? `.${ref.attribute}` : ''}`;

/**
 * A deployed stage played by emulators: every resource the functions' environments name in the
 * synthesized templates is made in dynalite or fauxqs as the template defines it (the table's name and
 * the key schema of contracts/table.ts, the bucket's name; topics with an SQS inbox subscribed, raw
 * delivery, so tests can read what was published), and functions run in Lambda-like containers with
 * their template environment pointed at those resources.
 */
export class EmulatedStage {
  private readonly physical = new Map<string, string>();
  /** Topic logical id → the queue subscribed to it. */
  private readonly inboxes = new Map<string, string>();
  /** Every execution environment started, in order. */
  readonly containers: LambdaContainer[] = [];
  /** Secrets Manager, started once a function's environment names a secret. */
  secrets?: Awaited<ReturnType<typeof startSecretsStandIn>>;

  constructor(
    readonly assembly: CloudAssembly,
    readonly db: Dynalite,
    readonly aws: AwsEmulator,
    private readonly options: { root: string; region: string; accountId: string },
  ) {}

  /** Makes every resource any function's environment refers to. */
  async provision(): Promise<void> {
    for (const fn of this.assembly.functions) {
      for (const ref of allEnvironmentResources(this.assembly, fn)) await this.provisionOne(ref);
    }
  }

  private async provisionOne(ref: ResourceRef): Promise<void> {
    const key = keyOf(ref);
    if (this.physical.has(key)) return;
    const pseudo = { accountId: this.options.accountId, region: this.options.region };
    switch (ref.type) {
      case 'AWS::DynamoDB::Table': {
        const name = withPseudoParameters(ref.properties.TableName, pseudo);
        await new DynamoCatalog(this.db.client, name).ensureTable();
        this.physical.set(key, name);
        return;
      }
      case 'AWS::S3::Bucket': {
        // A bucket CloudFormation names itself: its logical id, as S3 allows (lowercase).
        const name =
          ref.properties.BucketName === undefined
            ? ref.logicalId.toLowerCase()
            : withPseudoParameters(ref.properties.BucketName, pseudo);
        await this.aws.s3.send(new CreateBucketCommand({ Bucket: name }));
        this.physical.set(key, name);
        return;
      }
      case 'AWS::SNS::Topic': {
        const topic = await topicWithQueue(this.aws, ref.logicalId);
        this.physical.set(key, topic.topicArn);
        this.inboxes.set(ref.logicalId, topic.queueUrl);
        return;
      }
      case 'AWS::SecretsManager::Secret': {
        this.secrets ??= await startSecretsStandIn(this.options.region, this.options.accountId);
        this.physical.set(key, this.secrets.create(ref.logicalId));
        return;
      }
      case 'AWS::CloudFront::Distribution': {
        // Only ever a link target in the functions (APP_URL, ARCHIVE_URL, VIEWER_URL): never fetched.
        if (ref.attribute !== 'DomainName') break;
        this.physical.set(key, `${ref.logicalId.toLowerCase()}.cloudfront.example`);
        return;
      }
      case 'AWS::ApiGatewayV2::Api': {
        if (ref.attribute !== 'ApiEndpoint') break;
        this.physical.set(
          key,
          `https://${ref.logicalId.toLowerCase()}.execute-api.${this.options.region}.amazonaws.com`,
        );
        return;
      }
      case 'AWS::SQS::Queue': {
        if (ref.attribute) break;
        const { QueueUrl } = await this.aws.sqs.send(new CreateQueueCommand({ QueueName: ref.logicalId }));
        this.physical.set(key, QueueUrl!);
        return;
      }
    }
    throw new ShippedHarnessError(`no emulator resource for ${ref.type} (${key})`);
  }

  /** The value of one of the function's environment variables, as the emulated stage resolves it. */
  variable(fn: ShippedFunction, name: string): string {
    const value = this.variables(fn)[name];
    if (value === undefined) throw new ShippedHarnessError(`${fn.id} has no variable ${name}`);
    return value;
  }

  /** The queue subscribed to the topic that the function's variable names. */
  inbox(fn: ShippedFunction, variable: string): string {
    const ref = environmentReferences(this.assembly, fn).get(variable);
    const inbox = ref && this.inboxes.get(ref.logicalId);
    if (!inbox) throw new ShippedHarnessError(`${fn.id}.${variable} names no emulated topic`);
    return inbox;
  }

  private variables(fn: ShippedFunction): Record<string, string> {
    return resolveEnvironment(
      this.assembly,
      fn,
      (ref) => {
        const value = this.physical.get(keyOf(ref));
        if (value === undefined) throw new ShippedHarnessError(`${fn.id}: ${keyOf(ref)} was not provisioned`);
        return value;
      },
      { accountId: this.options.accountId, region: this.options.region },
    );
  }

  /** A new execution environment of the function: its own process and its own /tmp. */
  async start(id: string, extra: Record<string, string> = {}): Promise<LambdaContainer> {
    const fn = functionById(this.assembly, id);
    const env = lambdaEnvironment(fn, this.variables(fn), {
      region: this.options.region,
      tmpdir: join(this.options.root, `tmp-${fn.id}-${this.containers.length}`),
      extra: {
        AWS_ENDPOINT_URL_DYNAMODB: this.db.endpoint,
        AWS_ENDPOINT_URL_SNS: this.aws.endpoint,
        // The host of fauxqs's queue URLs, so the SDK sees the endpoint and the queue URL agree, as in AWS.
        AWS_ENDPOINT_URL_SQS: this.aws.endpoint.replace('127.0.0.1', `sqs.${this.options.region}.localhost`),
        // Virtual-hosted buckets (<bucket>.s3.localhost), as the SDK addresses S3 by default.
        AWS_ENDPOINT_URL_S3: this.aws.endpoint.replace('127.0.0.1', 's3.localhost'),
        ...(this.secrets ? { AWS_ENDPOINT_URL_SECRETS_MANAGER: this.secrets.endpoint } : {}),
        // Lambda runs Node 22; this machine's Node 20 would make the SDK warn at every cold start.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...extra,
      },
    });
    const container = await LambdaContainer.start(fn, env);
    this.containers.push(container);
    return container;
  }

  async stop(): Promise<void> {
    await Promise.all(this.containers.map((c) => c.stop()));
    await this.secrets?.stop();
  }

  /**
   * One pass of the worker's event source mapping over a queue: receive up to its BatchSize, invoke the
   * function with the SQS event, delete what it did not report as failed; until the queue is empty.
   */
  async deliver(
    worker: LambdaContainer,
    queueUrl: string,
    options: { maxInvocations?: number } = {},
  ): Promise<{ delivered: number; failed: string[]; invocations: { ms: number }[] }> {
    const batchSize = this.eventSourceBatchSize(worker.fn);
    const { Attributes } = await this.aws.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const failed: string[] = [];
    const invocations: { ms: number }[] = [];
    let delivered = 0;
    const max = options.maxInvocations ?? 20;
    for (let round = 0; round < max; round++) {
      const { Messages = [] } = await this.aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: batchSize,
          WaitTimeSeconds: 1,
          VisibilityTimeout: worker.fn.timeoutSeconds * 6,
        }),
      );
      if (Messages.length === 0) return { delivered, failed, invocations };
      const { result, ms } = await worker.invoke<{ batchItemFailures: { itemIdentifier: string }[] }>(
        sqsEvent(Messages, Attributes!.QueueArn!, this.options.region),
      );
      invocations.push({ ms });
      const failures = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
      for (const m of Messages) {
        if (failures.has(m.MessageId!)) failed.push(m.MessageId!);
        else {
          await this.aws.sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }),
          );
        }
      }
      delivered += Messages.length;
    }
    throw new ShippedHarnessError(`${queueUrl} was not empty after ${max} invocations`);
  }

  /** The BatchSize of the function's SQS event source mapping in the template. */
  eventSourceBatchSize(fn: ShippedFunction): number {
    const stack = this.assembly.stacks.find((s) => s.name === fn.stack)!;
    const mapping = Object.values(stack.template.Resources).find(
      (r) =>
        r.Type === 'AWS::Lambda::EventSourceMapping' &&
        (r.Properties?.FunctionName as { Ref?: string })?.Ref === fn.logicalId,
    );
    if (!mapping) throw new ShippedHarnessError(`${fn.id} has no event source mapping`);
    return Number(mapping.Properties?.BatchSize ?? 10);
  }

  /** Messages on a queue now (up to 10 receives), deleted once read. */
  async drain(queueUrl: string) {
    const all = [];
    for (let round = 0; round < 10; round++) {
      const { Messages = [] } = await this.aws.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) break;
      for (const m of Messages) {
        await this.aws.sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }),
        );
      }
      all.push(...Messages);
    }
    return all;
  }
}
