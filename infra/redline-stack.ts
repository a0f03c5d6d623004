import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../functions/adapters/dynamo/table-schema.js';
import type { CaptureEnv, WatchAdminEnv } from '../functions/handlers/env.js';
import { RedlineFunction } from './redline-function.js';

export interface RedlineStackProps extends StackProps {
  /** How often the scheduler looks for due watches. */
  tickEvery?: Duration;
  /** Contact URL named in Redline's User-Agent. */
  contactUrl: string;
  captureMemoryMiB?: number;
}

/** The walking skeleton on AWS: bucket, table, topic, a scheduled capture function and a watch-admin function. */
export class RedlineStack extends Stack {
  readonly bucket: Bucket;
  readonly table: Table;
  readonly topic: Topic;
  readonly captureFunction: RedlineFunction<CaptureEnv>;
  readonly watchFunction: RedlineFunction<WatchAdminEnv>;

  constructor(scope: Construct, id: string, props: RedlineStackProps) {
    super(scope, id, props);

    const accessLogs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(365) }],
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });

    this.bucket = new Bucket(this, 'Artifacts', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'artifacts/',
    });

    const s = TABLE_SCHEMA;
    this.table = new Table(this, 'Catalog', {
      partitionKey: { name: s.partitionKey, type: AttributeType.STRING },
      sortKey: { name: s.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of [s.dueIndex, s.watchIndex]) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }

    const topicKey = new Key(this, 'TopicKey', {
      enableKeyRotation: true,
      description: 'Encrypts Redline edit notifications at rest',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.topic = new Topic(this, 'Edits', {
      displayName: 'Redline edits',
      masterKey: topicKey,
      enforceSSL: true,
    });

    this.captureFunction = new RedlineFunction<CaptureEnv>(this, 'Capture', {
      entry: 'functions/handlers/capture.ts',
      description: 'Captures due watches: HTTP, headless Chromium, extraction, edit detection, notification',
      memorySize: props.captureMemoryMiB ?? 2048,
      timeout: Duration.minutes(10),
      // @sparticuz/chromium unpacks the browser into /tmp (~200 MB).
      ephemeralStorageMiB: 1024,
      // Installed, not bundled: the browser archive ships inside @sparticuz/chromium, as its README recommends.
      nodeModules: ['@sparticuz/chromium', 'playwright-core'],
      environment: {
        TABLE_NAME: this.table.tableName,
        BUCKET_NAME: this.bucket.bucketName,
        TOPIC_ARN: this.topic.topicArn,
        REDLINE_CONTACT_URL: props.contactUrl,
        CAPTURE_CONCURRENCY: 2,
        CAPTURE_BATCH_LIMIT: 50,
        REDLINE_ALLOW_PRIVATE_NETWORK: '0',
      },
    });
    this.table.grantReadWriteData(this.captureFunction);
    // Put and read only: the capture function can never delete or overwrite-by-delete an artifact.
    this.bucket.grantPut(this.captureFunction, 'blobs/*');
    this.bucket.grantRead(this.captureFunction, 'blobs/*');
    this.topic.grantPublish(this.captureFunction);

    this.watchFunction = new RedlineFunction<WatchAdminEnv>(this, 'WatchAdmin', {
      entry: 'functions/handlers/watch-admin.ts',
      description: 'Adds, removes and lists Redline watches (aws lambda invoke)',
      environment: { TABLE_NAME: this.table.tableName },
    });
    this.table.grantReadWriteData(this.watchFunction);

    new Schedule(this, 'Tick', {
      description: 'Looks for due watches and captures them',
      schedule: ScheduleExpression.rate(props.tickEvery ?? Duration.minutes(15)),
      target: new LambdaInvoke(this.captureFunction, {
        input: ScheduleTargetInput.fromObject({ kind: 'tick' }),
        retryAttempts: 0,
      }),
    });

    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'TopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'CaptureFunctionName', { value: this.captureFunction.functionName });
    new CfnOutput(this, 'WatchFunctionName', { value: this.watchFunction.functionName });

    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    for (const fn of [this.captureFunction, this.watchFunction]) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'The AWS managed basic execution role only allows writing the function’s own CloudWatch logs.',
      });
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-L1',
        reason: 'Node.js 22 is pinned: @sparticuz/chromium 147 and the local toolchain are verified on it.',
      });
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
      });
      Validations.of(fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.table.node.defaultChild as never)}.Arn>/index/*]`,
        reason: 'Queries the table’s own secondary indexes (due watches, watch list); scoped to this table.',
      });
    }
    Validations.of(this.captureFunction).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.bucket.node.defaultChild as never)}.Arn>/blobs/*]`,
      reason:
        'Content-addressed artifacts are written and read under blobs/ only; keys are hashes, unknown in advance.',
    });
    Validations.of(this.captureFunction).acknowledge({
      id: 'AwsSolutions-IAM5[Action::s3:GetObject*]',
      reason: 'grantRead: GetObject and its Version/Acl/Tagging variants on blobs/ only.',
    });
    Validations.of(this.captureFunction).acknowledge({
      id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      reason: 'grantRead: bucket location/metadata reads needed by the SDK; no data access beyond blobs/.',
    });
    Validations.of(this.captureFunction).acknowledge({
      id: 'AwsSolutions-IAM5[Action::s3:List*]',
      reason: 'grantRead: listing is needed for HeadObject to return 404 rather than 403 for a missing blob.',
    });
    Validations.of(this.captureFunction).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'topic.grantPublish: data keys of the topic’s own KMS key, needed to publish to an encrypted topic.',
    });
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.captureFunction.node.defaultChild as never)}.Arn>:*]`,
      reason:
        'The scheduler’s role may invoke the capture function’s versions and aliases; scoped to that function.',
    });
    Validations.of(this.captureFunction).acknowledge({
      id: 'AwsSolutions-IAM5[Action::s3:Abort*]',
      reason: 'grantPut: aborting its own failed multipart uploads.',
    });
  }
}
