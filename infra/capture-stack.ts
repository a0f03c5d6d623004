import { createHash } from 'node:crypto';
import { Aws, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../functions/adapters/dynamo/table-schema.js';
import {
  type CaptureWorkerEnv,
  METRICS_NAMESPACE,
  type PlannerEnv,
  type WatchAdminEnv,
} from '../functions/handlers/env.js';
import type { WatchSpec } from '../functions/handlers/watch-admin.js';
import type { StageConfig } from './config.js';
import { type DataStack, dataNames } from './data-stack.js';
import { RedlineFunction } from './redline-function.js';

/**
 * Compute, stateless: EventBridge Scheduler → planner (reads only due watches) → SQS → capture workers
 * (Chromium) → dead-letter queue; the watch-admin function; alarms and a dashboard. Safe to destroy
 * and redeploy: every byte of data lives in the DataStack.
 */
export class CaptureStack extends Stack {
  readonly planner: RedlineFunction<PlannerEnv>;
  readonly worker: RedlineFunction<CaptureWorkerEnv>;
  readonly watchAdmin: RedlineFunction<WatchAdminEnv>;
  readonly queue: Queue;
  readonly deadLetters: Queue;

  constructor(
    scope: Construct,
    id: string,
    data: DataStack,
    config: StageConfig,
    props?: StackProps & { watches?: WatchSpec[] },
  ) {
    super(scope, id, props);
    const logRetention = retention(config.logRetentionDays);
    const timeout = Duration.seconds(config.capture.timeoutSeconds);

    this.deadLetters = new Queue(this, 'CaptureDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue; its messages are redriven by hand (docs/deploy.md).',
    });
    this.queue = new Queue(this, 'CaptureRequests', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // At least 6× the worker's timeout, as AWS recommends for Lambda event sources.
      visibilityTimeout: Duration.seconds(config.capture.timeoutSeconds * 6),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: config.capture.maxReceiveCount },
    });

    this.planner = new RedlineFunction<PlannerEnv>(this, 'Planner', {
      entry: 'functions/handlers/planner.ts',
      description: 'Reads the due watches, leases them and queues capture requests',
      memorySize: 512,
      timeout: Duration.minutes(2),
      logRetention,
      environment: {
        TABLE_NAME: data.table.tableName,
        QUEUE_URL: this.queue.queueUrl,
        PLAN_LIMIT: config.planLimit,
        LEASE_SECONDS: Math.max(
          3600,
          config.capture.timeoutSeconds * 6 * (config.capture.maxReceiveCount + 1),
        ),
      },
    });
    grantCatalog(this.planner, config.stage, ['dynamodb:Query', 'dynamodb:UpdateItem']);
    this.queue.grantSendMessages(this.planner);

    this.worker = new RedlineFunction<CaptureWorkerEnv>(this, 'CaptureWorker', {
      entry: 'functions/handlers/capture-worker.ts',
      description: 'Captures one watch per message: HTTP, headless Chromium, extraction, detection, WARC',
      memorySize: config.capture.memoryMiB,
      timeout,
      // @sparticuz/chromium unpacks the browser into /tmp (~200 MB).
      ephemeralStorageMiB: 1024,
      // Installed, not bundled: the browser archive ships inside @sparticuz/chromium, as its README recommends.
      // pdf.js is bundled: functions/core/pdf.ts runs its worker in-process, without canvas (test/shipped).
      nodeModules: ['@sparticuz/chromium', 'playwright-core'],
      logRetention,
      environment: {
        TABLE_NAME: data.table.tableName,
        BUCKET_NAME: data.bucket.bucketName,
        TOPIC_ARN: data.editsTopic.topicArn,
        ALERTS_TOPIC_ARN: data.alertsTopic.topicArn,
        REDLINE_CONTACT_URL: config.contactUrl,
        REDLINE_ALLOW_PRIVATE_NETWORK: '0',
        DIFF_LINK_EXPIRY_SECONDS: config.diffLinkExpiryHours * 3600,
        CAPTURE_TIMEOUT_SECONDS: config.capture.timeoutSeconds,
      },
    });
    // DeleteItem: closing a capture's journal entry (ADR 0008), and folding a duplicate watch into the
    // canonical one. Records are never deleted by the code; point-in-time recovery covers the rest.
    grantCatalog(this.worker, config.stage, [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
    ]);
    // Put and read only: the capture function can never delete an artifact. Listing blobs/ lets
    // HeadObject answer 404 (not 403) for a blob not stored yet.
    this.worker.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [blobsArn(config.stage)] }),
    );
    this.worker.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [`arn:${Aws.PARTITION}:s3:::${dataNames(config.stage).bucket}`],
        conditions: { StringLike: { 's3:prefix': ['blobs/*'] } },
      }),
    );
    data.editsTopic.grantPublish(this.worker);
    data.alertsTopic.grantPublish(this.worker);
    this.worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: config.capture.batchSize,
        maxConcurrency: config.capture.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    this.watchAdmin = new RedlineFunction<WatchAdminEnv>(this, 'WatchAdmin', {
      entry: 'functions/handlers/watch-admin.ts',
      description: 'Adds, removes and lists Redline watches (aws lambda invoke)',
      logRetention,
      environment: { TABLE_NAME: data.table.tableName },
    });
    grantCatalog(this.watchAdmin, config.stage, [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
    ]);

    new Schedule(this, 'Tick', {
      description: 'Plans the captures of due watches',
      schedule: ScheduleExpression.rate(Duration.minutes(config.tickMinutes)),
      target: new LambdaInvoke(this.planner, {
        input: ScheduleTargetInput.fromObject({ kind: 'tick' }),
        retryAttempts: 0,
      }),
    });

    if (props?.watches?.length) this.syncWatchList(props.watches);
    this.observe(config, data.key);
    this.acknowledgeFindings(config);
    new CfnOutput(this, 'CaptureQueueUrl', { value: this.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetters.queueUrl });
    new CfnOutput(this, 'WatchFunctionName', { value: this.watchAdmin.functionName });
  }

  /** The stage's watch list, upserted through the watch-admin function on every deploy that changes it. */
  private syncWatchList(watches: WatchSpec[]): void {
    const payload = JSON.stringify({ action: 'sync', watches });
    const call = {
      service: 'Lambda',
      action: 'invoke',
      parameters: { FunctionName: this.watchAdmin.functionName, Payload: payload },
      physicalResourceId: PhysicalResourceId.of(
        `watch-list-${createHash('sha256').update(payload).digest('hex').slice(0, 16)}`,
      ),
    };
    const sync = new AwsCustomResource(this, 'WatchListSync', {
      onCreate: call,
      onUpdate: call,
      installLatestAwsSdk: false,
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.watchAdmin.functionArn] }),
      ]),
    });
    sync.node.addDependency(this.watchAdmin);
    for (const [id, reason] of [
      [
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'CDK’s custom-resource provider uses the AWS managed basic execution role (its own logs only).',
      ],
      ['AwsSolutions-L1', 'CDK’s custom-resource provider picks its own runtime.'],
      ['Serverless-LambdaDLQ', 'Runs inside a CloudFormation deploy, which reports its failure.'],
      [
        'Serverless-LambdaDefaultMemorySize',
        'CDK’s custom-resource provider: one small API call per deploy.',
      ],
      ['Serverless-LambdaLatestVersion', 'CDK’s custom-resource provider picks its own runtime.'],
      ['Serverless-LambdaTracing', 'CDK’s custom-resource provider: one API call per deploy.'],
      ['Serverless-LambdaAsyncFailureDestination', 'Invoked synchronously by CloudFormation.'],
    ] as const) {
      Validations.of(this).acknowledge({ id, reason });
    }
  }

  private observe(config: StageConfig, key: IKey): void {
    const alarms = new Topic(this, 'Alarms', {
      displayName: 'Redline alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (config.alarmEmail) {
      const subscription = alarms.addSubscription(new EmailSubscription(config.alarmEmail));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason: 'Alarm emails; the alarm state itself stays visible in CloudWatch.',
      });
    }
    const action = new SnsAction(alarms);
    const metric = (name: string, period = Duration.minutes(5)) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { service: 'capture' },
        statistic: 'Sum',
        period,
      });

    const deadLetters = new Alarm(this, 'DeadLettersAlarm', {
      alarmDescription: 'Capture requests were dead-lettered: see docs/deploy.md for redrive',
      metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const errorRate = new Alarm(this, 'WorkerErrorRateAlarm', {
      alarmDescription: 'More than 10% of capture worker invocations failed',
      metric: new MathExpression({
        expression: '100 * errors / MAX([invocations, 1])',
        usingMetrics: { errors: this.worker.metricErrors(), invocations: this.worker.metricInvocations() },
        period: Duration.minutes(15),
      }),
      threshold: 10,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const noCapture = new Alarm(this, 'NoSuccessfulCaptureAlarm', {
      alarmDescription: `No capture completed in ${config.noCaptureAlarmHours} hours`,
      metric: metric('CapturesComplete', Duration.hours(config.noCaptureAlarmHours)),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.BREACHING,
    });
    for (const alarm of [deadLetters, errorRate, noCapture]) alarm.addAlarmAction(action);

    new Dashboard(this, 'Dashboard', {
      dashboardName: `Redline-${config.stage}`,
      widgets: [
        [
          new GraphWidget({
            title: 'Captures',
            left: ['Captures', 'CapturesComplete', 'CapturesPartial', 'CaptureFailures'].map((m) =>
              metric(m),
            ),
          }),
          new GraphWidget({
            title: 'Edits and anomalies',
            left: ['Edits', 'Anomalies'].map((m) => metric(m)),
          }),
        ],
        [
          new GraphWidget({
            title: 'Capture duration (ms)',
            left: [
              metric('CaptureDuration').with({ statistic: 'p50' }),
              metric('CaptureDuration').with({ statistic: 'p90' }),
            ],
          }),
          new GraphWidget({
            title: 'Queue',
            left: [
              this.queue.metricApproximateNumberOfMessagesVisible(),
              this.deadLetters.metricApproximateNumberOfMessagesVisible(),
            ],
          }),
        ],
      ],
    });
  }

  private acknowledgeFindings(config: StageConfig): void {
    for (const fn of [this.planner, this.worker, this.watchAdmin]) {
      const v = Validations.of(fn);
      v.acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'The AWS managed basic execution role only allows writing the function’s own CloudWatch logs.',
      });
      v.acknowledge({
        id: 'AwsSolutions-L1',
        reason: 'Node.js 22 is pinned: @sparticuz/chromium 147 is verified on it.',
      });
      v.acknowledge({
        id: 'Serverless-LambdaLatestVersion',
        reason: 'Node.js 22 is pinned: @sparticuz/chromium 147 is verified on it.',
      });
      v.acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
      });
    }
    Validations.of(this.planner).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked by EventBridge Scheduler, which retries nothing (retryAttempts 0); the next tick re-plans.',
    });
    Validations.of(this.watchAdmin).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: 'Invoked synchronously by an operator (aws lambda invoke), who sees the error.',
    });
    Validations.of(this.worker).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'An SQS event source: failed messages go to the queue’s own dead-letter queue, not a function DLQ.',
    });
    Validations.of(this).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason: 'The capture queue has a redrive policy to the dead-letter queue, which is alarmed.',
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This is the dead-letter queue itself.',
    });
    const worker = Validations.of(this.worker);
    worker.acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::redline-${config.stage}-<AWS::AccountId>-<AWS::Region>/blobs/*]`,
      reason:
        'Content-addressed artifacts are written and read under blobs/ only; keys are hashes, unknown in advance.',
    });
    worker.acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'grantPublish: data keys of the topics’ own KMS key, to publish to encrypted topics.',
    });
    worker.acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      reason: 'Generated by grants on the topics’ own KMS key.',
    });
    Validations.of(this.planner).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'Sending to the capture queue.',
    });
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.planner.node.defaultChild as never)}.Arn>:*]`,
      reason: 'The scheduler’s role may invoke the planner’s versions and aliases; scoped to that function.',
    });
  }
}

/** DynamoDB actions on the catalog table and its two indexes by name: no wildcard resource. */
function grantCatalog(
  fn: RedlineFunction<Record<string, string | number>>,
  stage: string,
  actions: string[],
): void {
  const table = `arn:${Aws.PARTITION}:dynamodb:${Aws.REGION}:${Aws.ACCOUNT_ID}:table/${dataNames(stage).table}`;
  const indexes = [TABLE_SCHEMA.dueIndex.name, TABLE_SCHEMA.watchIndex.name].map(
    (name) => `${table}/index/${name}`,
  );
  fn.addToRolePolicy(new PolicyStatement({ actions, resources: [table, ...indexes] }));
}

function blobsArn(stage: string): string {
  return `arn:${Aws.PARTITION}:s3:::${dataNames(stage).bucket}/blobs/*`;
}

function retention(days: number): RetentionDays {
  const known = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0);
  return (known.sort((a, b) => a - b).find((v) => v >= days) ?? RetentionDays.TEN_YEARS) as RetentionDays;
}
