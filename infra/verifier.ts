import { Aws, CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type Dashboard,
  GraphWidget,
  type IAlarmAction,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { SqsSendMessage } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { VerifierEnv } from '../functions/contracts/env.js';
import {
  METRICS_NAMESPACE,
  VERIFY_METRICS,
  VERIFY_METRICS_DIMENSIONS,
  type VerifyMetricName,
} from '../functions/contracts/metrics.js';
import { CAPTURE_OUTPUTS } from '../functions/contracts/outputs.js';
import { BLOB_KEY_PATTERN } from '../functions/contracts/storage.js';
import { TABLE_SCHEMA } from '../functions/contracts/table.js';
import { sampleGroups } from '../functions/core/proof/verify-run.js';
import { type StageConfig, tsaBundling, verifyIntervalSeconds } from './config.js';
import { type DataStack, dataNames } from './data-stack.js';
import { RedlineFunction } from './redline-function.js';

/** The verifier metrics (functions/contracts/metrics.ts) alarmed on and graphed. */
export const OBSERVED_VERIFY_METRICS = {
  alarms: [VERIFY_METRICS.problems],
  dashboard: [VERIFY_METRICS.problems, VERIFY_METRICS.blobs, VERIFY_METRICS.bytes],
} as const;

export interface VerifierProps {
  data: DataStack;
  config: StageConfig;
  /** Where the stage's alarms notify (the alarms topic). */
  alarmAction: IAlarmAction;
  dashboard: Dashboard;
  logRetention: RetentionDays;
}

/**
 * The scheduled verifier (issue 12, item 4): EventBridge Scheduler puts `{"kind":"verify"}` on the
 * verifier's queue at `verify.schedule`; the function verifies watches until its time runs short, then
 * puts the pass (cursor and findings) back on the same queue for its next invocation; the last one
 * publishes a summary of the problems to the alerts topic. It reads the table (Query only) and the blobs
 * (GetObject only); it can write nothing but its own queue and the alerts topic.
 */
export class Verifier extends Construct {
  readonly fn: RedlineFunction<VerifierEnv>;
  readonly queue: Queue;
  readonly deadLetters: Queue;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: VerifierProps) {
    super(scope, id);
    const { data, config } = props;
    const verify = config.verify;
    const timeoutSeconds = verify.timeoutMinutes * 60;

    this.deadLetters = new Queue(this, 'VerifyDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'VerifyRequests', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(timeoutSeconds * 6),
      // A slice that fails thrice (the table or the queue unreachable) ends its pass here, alarmed.
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 3 },
    });

    const tsa = tsaBundling(config);
    this.fn = new RedlineFunction<VerifierEnv>(this, 'Verifier', {
      entry: 'functions/handlers/verifier.ts',
      description:
        'Verifies the archive on a schedule: re-hashes blobs, walks manifest chains, checks tokens',
      memorySize: verify.memoryMiB,
      timeout: Duration.seconds(timeoutSeconds),
      logRetention: props.logRetention,
      files: tsa.files,
      environment: {
        TABLE_NAME: data.table.tableName,
        BUCKET_NAME: data.bucket.bucketName,
        ALERTS_TOPIC_ARN: data.alertsTopic.topicArn,
        VERIFY_QUEUE_URL: this.queue.queueUrl,
        REDLINE_STAGE: config.stage,
        VERIFY_MODE: verify.mode,
        VERIFY_SAMPLE_GROUPS: verify.mode === 'sampled' ? sampleGroups(verify.sampleFraction) : 1,
        VERIFY_INTERVAL_SECONDS: verifyIntervalSeconds(verify),
        VERIFY_MAX_INVOCATIONS: verify.maxInvocations,
        // Two minutes of a 15-minute invocation, less for shorter ones: blobs in flight and the hand-over.
        VERIFY_STOP_MARGIN_SECONDS: Math.min(120, Math.max(30, Math.round(timeoutSeconds / 5))),
        VERIFY_CONCURRENCY: 8,
        REDLINE_TSA_CA_FILE: tsa.caFile,
      },
    });
    this.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 1,
        // The least SQS allows: one pass at a time, a second only when runs overlap.
        maxConcurrency: 2,
        reportBatchItemFailures: true,
      }),
    );
    this.grantReads(config);
    // Its own queue (the continuation of a pass) and the alerts topic: the only things it writes.
    this.queue.grantSendMessages(this.fn);
    data.alertsTopic.grantPublish(this.fn);

    this.schedule = new Schedule(this, 'VerifySchedule', {
      description: `Starts a ${verify.mode} verify pass`,
      schedule: ScheduleExpression.expression(verify.schedule),
      target: new SqsSendMessage(this.queue, {
        input: ScheduleTargetInput.fromObject({
          kind: 'verify',
          scheduledTime: ContextAttribute.scheduledTime,
        }),
        retryAttempts: 2,
      }),
    });

    this.observe(config, props);
    new CfnOutput(scope, CAPTURE_OUTPUTS.verifyQueueUrl, { value: this.queue.queueUrl });
    this.acknowledgeFindings(config);
  }

  /** Query on the table and its watches index; GetObject on blobs (List on their prefix, for 404s). */
  private grantReads(config: StageConfig): void {
    const names = dataNames(config.stage);
    const table = `arn:${Aws.PARTITION}:dynamodb:${Aws.REGION}:${Aws.ACCOUNT_ID}:table/${names.table}`;
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [table, `${table}/index/${TABLE_SCHEMA.watchIndex.name}`],
      }),
    );
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [`arn:${Aws.PARTITION}:s3:::${names.bucket}/${BLOB_KEY_PATTERN}`],
      }),
    );
    // Without it S3 answers 403, not 404, for a missing blob: `blob_missing` would read as `blob_unreadable`.
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [`arn:${Aws.PARTITION}:s3:::${names.bucket}`],
        conditions: { StringLike: { 's3:prefix': [BLOB_KEY_PATTERN] } },
      }),
    );
  }

  private observe(config: StageConfig, props: VerifierProps): void {
    const alarmPrefix = `Redline-${config.stage}-`;
    const metric = (name: VerifyMetricName) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { ...VERIFY_METRICS_DIMENSIONS },
        statistic: 'Sum',
        period: Duration.hours(1),
      });
    const problems = new Alarm(this, 'VerifyProblemsAlarm', {
      alarmName: `${alarmPrefix}verify-problems`,
      alarmDescription:
        'The last verify pass found problems in the archive (the alerts topic has the summary: redline.verify). ' +
        'OK when a later pass finds none; a sampled pass checks only its share of the watches.',
      metric: metric(OBSERVED_VERIFY_METRICS.alarms[0]),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // Emitted once per pass: between passes the alarm keeps what the last one said.
      treatMissingData: TreatMissingData.IGNORE,
    });
    const failed = new Alarm(this, 'VerifyFailedAlarm', {
      alarmName: `${alarmPrefix}verify-failed`,
      alarmDescription: 'A verify pass failed three times and was dead-lettered: see the verifier logs',
      metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [problems, failed]) {
      alarm.addAlarmAction(props.alarmAction);
      alarm.addOkAction(props.alarmAction);
    }
    const [problemsMetric, blobs, bytes] = OBSERVED_VERIFY_METRICS.dashboard.map((m) => metric(m));
    props.dashboard.addWidgets(
      new GraphWidget({ title: 'Verifier: problems and blobs', left: [problemsMetric!, blobs!] }),
      new GraphWidget({ title: 'Verifier: bytes re-hashed', left: [bytes!] }),
    );
  }

  private acknowledgeFindings(config: StageConfig): void {
    const v = Validations.of(this.fn);
    v.acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The AWS managed basic execution role only allows writing the function’s own CloudWatch logs.',
    });
    v.acknowledge({ id: 'AwsSolutions-L1', reason: 'Node.js 22 is pinned, like every Redline function.' });
    v.acknowledge({
      id: 'Serverless-LambdaLatestVersion',
      reason: 'Node.js 22 is pinned, like every Redline function.',
    });
    v.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
    });
    v.acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::redline-${config.stage}-<AWS::AccountId>-<AWS::Region>/${BLOB_KEY_PATTERN}]`,
      reason: 'Content-addressed artifacts are read under blobs/ only; keys are hashes, unknown in advance.',
    });
    v.acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'grantPublish: data keys of the alerts topic’s KMS key, to publish to the encrypted topic.',
    });
    v.acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: 'An SQS event source: a failed pass goes to the queue’s own dead-letter queue (alarmed).',
    });
    Validations.of(this).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason: 'The verifier queue has a redrive policy to its dead-letter queue, which is alarmed.',
    });
    const dlq = Validations.of(this.deadLetters);
    dlq.acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This is the verifier’s dead-letter queue.' });
    dlq.acknowledge({ id: 'Serverless-SQSRedrivePolicy', reason: 'This is the dead-letter queue itself.' });
  }
}
