import { readFileSync } from 'node:fs';
import {
  Annotations,
  Aws,
  CfnOutput,
  CustomResource,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
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
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type {
  CaptureWorkerEnv,
  PlannerEnv,
  WatchAdminEnv,
  WatchSyncEnv,
} from '../functions/contracts/env.js';
import {
  CAPTURE_METRICS,
  type CaptureMetricName,
  METRICS_DIMENSIONS,
  METRICS_NAMESPACE,
} from '../functions/contracts/metrics.js';
import { CAPTURE_OUTPUTS } from '../functions/contracts/outputs.js';
import { BLOB_KEY_PATTERN } from '../functions/contracts/storage.js';
import { TABLE_SCHEMA } from '../functions/contracts/table.js';
import { sha256 } from '../functions/core/domain/digest.js';
import { planWatchList } from '../functions/handlers/watch-sync.js';
import { type StageConfig, tsaBundling } from './config.js';
import { type DataStack, dataNames } from './data-stack.js';
import { RedlineFunction } from './redline-function.js';
import { Verifier } from './verifier.js';

/** The worker metrics (functions/contracts/metrics.ts) this stack alarms on and graphs. */
export const OBSERVED_METRICS = {
  /** The no-successful-capture alarm. */
  alarms: [CAPTURE_METRICS.complete],
  dashboard: {
    captures: [
      CAPTURE_METRICS.captures,
      CAPTURE_METRICS.complete,
      CAPTURE_METRICS.partial,
      CAPTURE_METRICS.failed,
    ],
    edits: [CAPTURE_METRICS.edits, CAPTURE_METRICS.anomalies],
    duration: [CAPTURE_METRICS.duration],
  },
} as const;

/**
 * Compute, stateless: EventBridge Scheduler → planner (reads only due watches) → SQS → capture workers
 * (Chromium) → dead-letter queue; the watch-admin function; the watch-list sync (a custom resource);
 * alarms (to their own encrypted topic) and a dashboard. Safe to destroy
 * and redeploy: every byte of data lives in the DataStack.
 */
export class CaptureStack extends Stack {
  readonly planner: RedlineFunction<PlannerEnv>;
  readonly worker: RedlineFunction<CaptureWorkerEnv>;
  readonly watchAdmin: RedlineFunction<WatchAdminEnv>;
  /** The watch-list custom resource's function; only when the stage has a watch list. */
  readonly watchSync?: RedlineFunction<WatchSyncEnv>;
  readonly queue: Queue;
  readonly deadLetters: Queue;
  readonly verifier: Verifier;
  /** Notifies the alarms topic (every alarm of the stage, alarm and OK). */
  alarmAction!: SnsAction;
  dashboard!: Dashboard;

  constructor(
    scope: Construct,
    id: string,
    data: DataStack,
    config: StageConfig,
    props: StackProps & {
      /** `config/<stage>.watches.json`: upserted on every deploy that changes it (checked whole at synth). */
      watchListFile?: string;
      /** The web stack's viewer URL (`https://…`): edit notifications link its diff page. */
      viewerUrl: string;
    },
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

    const tsa = tsaBundling(config);
    this.worker = new RedlineFunction<CaptureWorkerEnv>(this, 'CaptureWorker', {
      entry: 'functions/handlers/capture-worker.ts',
      description: 'Captures one watch per message: HTTP, headless Chromium, extraction, detection, WARC',
      memorySize: config.capture.memoryMiB,
      timeout,
      // @sparticuz/chromium unpacks the browser into /tmp (~200 MB).
      ephemeralStorageMiB: 1024,
      // Installed, not bundled: the browser archive ships inside @sparticuz/chromium, as its README recommends.
      // pdf.js is bundled: functions/core/detect/pdf.ts runs its worker in-process, without canvas (test/shipped).
      nodeModules: ['@sparticuz/chromium', 'playwright-core'],
      logRetention,
      // The authorities' roots, shipped in the bundle (config `tsa.caFile`); TSAs are reached directly.
      files: tsa.files,
      environment: {
        TABLE_NAME: data.table.tableName,
        BUCKET_NAME: data.bucket.bucketName,
        TOPIC_ARN: data.editsTopic.topicArn,
        ALERTS_TOPIC_ARN: data.alertsTopic.topicArn,
        REDLINE_CONTACT_URL: config.contactUrl,
        REDLINE_ALLOW_PRIVATE_NETWORK: '0',
        // Notification links open the viewer's diff page: they live as long as the archive.
        VIEWER_URL: props.viewerUrl,
        CAPTURE_TIMEOUT_SECONDS: config.capture.timeoutSeconds,
        REDLINE_TSA_URLS: tsa.urls,
        REDLINE_TSA_CA_FILE: tsa.caFile,
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
        conditions: { StringLike: { 's3:prefix': [BLOB_KEY_PATTERN] } },
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

    if (props.watchListFile) {
      this.watchSync = this.syncWatchList(props.watchListFile, data, config, logRetention);
    }
    this.observe(config);
    this.verifier = new Verifier(this, 'ArchiveVerifier', {
      data,
      config,
      alarmAction: this.alarmAction,
      dashboard: this.dashboard,
      logRetention,
    });
    this.acknowledgeFindings(config);
    new CfnOutput(this, CAPTURE_OUTPUTS.captureQueueUrl, { value: this.queue.queueUrl });
    new CfnOutput(this, CAPTURE_OUTPUTS.deadLetterQueueUrl, { value: this.deadLetters.queueUrl });
    new CfnOutput(this, CAPTURE_OUTPUTS.watchFunctionName, { value: this.watchAdmin.functionName });
  }

  /**
   * The stage's watch list, upserted on every deploy that changes it by a custom resource: the file ships
   * as an S3 asset (no property or response size limit to outgrow), its digest is a property (a changed
   * list is an Update), and the function answers CloudFormation itself with a count and a digest only,
   * or FAILED with a short reason, which fails the deploy (functions/handlers/watch-sync.ts).
   */
  private syncWatchList(
    file: string,
    data: DataStack,
    config: StageConfig,
    logRetention: RetentionDays,
  ): RedlineFunction<WatchSyncEnv> | undefined {
    const bytes = readFileSync(file);
    try {
      // The same whole-list check the function runs: a bad entry fails `cdk synth`, before any deploy.
      if (planWatchList(JSON.parse(bytes.toString('utf8'))).length === 0) return undefined;
    } catch (cause) {
      throw new Error(`${file}: ${(cause as Error).message}`, { cause });
    }
    const asset = new Asset(this, 'WatchList', { path: file });
    const fn = new RedlineFunction<WatchSyncEnv>(this, 'WatchListSyncFunction', {
      entry: 'functions/handlers/watch-sync.ts',
      description: 'Upserts the stage watch list on deploy (CloudFormation custom resource)',
      // Ten thousand watches at most, eight upserts in flight; it answers FAILED 15 s before this ends.
      timeout: Duration.minutes(10),
      logRetention,
      environment: { TABLE_NAME: data.table.tableName },
    });
    // Only what addWatch calls: GetItem (the existing watch) and PutItem (the upsert), on the table alone.
    grantCatalog(fn, config.stage, ['dynamodb:GetItem', 'dynamodb:PutItem'], { indexes: false });
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [`arn:${Aws.PARTITION}:s3:::${asset.s3BucketName}/${asset.s3ObjectKey}`],
      }),
    );
    const sync = new CustomResource(this, 'WatchListSync', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::WatchListSync',
      // A function that never answers (crashed thrice: Lambda retries an async invoke twice) fails the
      // deploy after this, not CloudFormation's default hour; long enough for three full 10-minute runs.
      serviceTimeout: Duration.minutes(35),
      properties: {
        WatchListBucket: asset.s3BucketName,
        WatchListKey: asset.s3ObjectKey,
        WatchListDigest: sha256(bytes),
      },
    });
    // After the role's policy, not just the function: the first run must already be allowed to read and write.
    sync.node.addDependency(fn);
    new CfnOutput(this, CAPTURE_OUTPUTS.watchListCount, { value: sync.getAttString('Count') });
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked by CloudFormation, which fails the deploy on a FAILED answer or none; the event is in the stack events.',
    });
    return fn;
  }

  /**
   * Alarms → the alarms topic → `alarmEmail`. The topic has its own KMS key, whose policy lets CloudWatch
   * (the service publishing alarm notifications) use it, and a topic policy letting CloudWatch publish;
   * both only for this stage's alarms in this account (aws:SourceArn, aws:SourceAccount: no confused
   * deputy). Its own key, not the data stack's: CloudWatch gets nothing on the key of the edits and alerts
   * topics, and the key lives and goes with the only topic it protects (messages in flight only).
   */
  private observe(config: StageConfig): void {
    const alarmPrefix = `Redline-${config.stage}-`;
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    const fromThisStagesAlarms = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: {
        'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${alarmPrefix}*`,
      },
    };
    const key = new Key(this, 'AlarmsKey', {
      enableKeyRotation: true,
      description: 'Encrypts the Redline alarm notifications at rest',
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheAlarmsTopic',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromThisStagesAlarms,
      }),
    );
    const alarms = new Topic(this, 'Alarms', {
      displayName: 'Redline alarms',
      masterKey: key,
      enforceSSL: true,
    });
    alarms.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [alarms.topicArn],
        conditions: fromThisStagesAlarms,
      }),
    );
    if (config.alarmEmail) {
      const subscription = alarms.addSubscription(new EmailSubscription(config.alarmEmail));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason: 'Alarm emails; the alarm state itself stays visible in CloudWatch.',
      });
    } else {
      Annotations.of(this).addWarningV2(
        'redline:no-alarm-email',
        `config/${config.stage}.json has no alarmEmail: the alarms publish to a topic nobody is subscribed to`,
      );
    }
    const action = new SnsAction(alarms);
    this.alarmAction = action;
    const metric = (name: CaptureMetricName, period = Duration.minutes(5)) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { ...METRICS_DIMENSIONS },
        statistic: 'Sum',
        period,
      });

    const deadLetters = new Alarm(this, 'DeadLettersAlarm', {
      alarmName: `${alarmPrefix}dead-letters`,
      alarmDescription: 'Capture requests were dead-lettered: see docs/deploy.md for redrive',
      metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const errorRate = new Alarm(this, 'WorkerErrorRateAlarm', {
      alarmName: `${alarmPrefix}worker-error-rate`,
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
      alarmName: `${alarmPrefix}no-successful-capture`,
      alarmDescription: `No capture completed in ${config.noCaptureAlarmHours} hours`,
      metric: metric(OBSERVED_METRICS.alarms[0], Duration.hours(config.noCaptureAlarmHours)),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.BREACHING,
    });
    // OK too: whoever got the alarm also learns it is over.
    for (const alarm of [deadLetters, errorRate, noCapture]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `Redline-${config.stage}`,
      widgets: [
        [
          new GraphWidget({
            title: 'Captures',
            left: OBSERVED_METRICS.dashboard.captures.map((m) => metric(m)),
          }),
          new GraphWidget({
            title: 'Edits and anomalies',
            left: OBSERVED_METRICS.dashboard.edits.map((m) => metric(m)),
          }),
        ],
        [
          new GraphWidget({
            title: 'Capture duration (ms)',
            left: [
              ...OBSERVED_METRICS.dashboard.duration.flatMap((m) => [
                metric(m).with({ statistic: 'p50' }),
                metric(m).with({ statistic: 'p90' }),
              ]),
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
    for (const fn of [
      this.planner,
      this.worker,
      this.watchAdmin,
      ...(this.watchSync ? [this.watchSync] : []),
    ]) {
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
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::redline-${config.stage}-<AWS::AccountId>-<AWS::Region>/${BLOB_KEY_PATTERN}]`,
      reason:
        'Content-addressed artifacts are written and read under blobs/ only; keys are hashes, unknown in advance.',
    });
    worker.acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'grantPublish: data keys of the topics’ own KMS key, to publish to encrypted topics.',
    });
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.planner.node.defaultChild as never)}.Arn>:*]`,
      reason: 'The scheduler’s role may invoke the planner’s versions and aliases; scoped to that function.',
    });
  }
}

/** DynamoDB actions on the catalog table and its two indexes by name: no wildcard resource. */
export function grantCatalog(
  fn: RedlineFunction<Record<string, string | number>>,
  stage: string,
  actions: string[],
  options: { indexes?: boolean } = {},
): void {
  const table = `arn:${Aws.PARTITION}:dynamodb:${Aws.REGION}:${Aws.ACCOUNT_ID}:table/${dataNames(stage).table}`;
  const indexes =
    options.indexes === false
      ? []
      : [TABLE_SCHEMA.dueIndex.name, TABLE_SCHEMA.watchIndex.name].map((name) => `${table}/index/${name}`);
  fn.addToRolePolicy(new PolicyStatement({ actions, resources: [table, ...indexes] }));
}

export function blobsArn(stage: string): string {
  return `arn:${Aws.PARTITION}:s3:::${dataNames(stage).bucket}/${BLOB_KEY_PATTERN}`;
}

export function retention(days: number): RetentionDays {
  const known = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0);
  return (known.sort((a, b) => a - b).find((v) => v >= days) ?? RetentionDays.TEN_YEARS) as RetentionDays;
}
