import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectLockRetention,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { DATA_OUTPUTS } from '../functions/contracts/outputs.js';
import { TABLE_SCHEMA } from '../functions/contracts/table.js';
import type { StageConfig } from './config.js';

/**
 * Everything that holds data: the artifact bucket, the catalog table, the topics and their key.
 * All RETAIN: deleting the stack never deletes an archive. Deployed apart from the compute stack.
 */
/** Physical names derived from the stage, so the compute stack can scope its policies without wildcards on tokens. */
export function dataNames(stage: string) {
  return {
    table: `redline-${stage}`,
    bucket: `redline-${stage}-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
  };
}

/**
 * A bucket for access logs (S3 server access logs; CloudFront standard logs, which are written with an
 * ACL, hence BUCKET_OWNER_PREFERRED): private, S3-encrypted, TLS only, kept (RETAIN), each log a year.
 * Not logged itself (that would loop).
 */
export function accessLogBucket(scope: Construct, id: string): Bucket {
  const bucket = new Bucket(scope, id, {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [{ expiration: Duration.days(365) }],
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'This is the access-log bucket itself; logging it into itself would loop.',
  });
  return bucket;
}

export class DataStack extends Stack {
  readonly bucket: Bucket;
  readonly table: Table;
  readonly editsTopic: Topic;
  readonly alertsTopic: Topic;
  readonly key: Key;

  constructor(scope: Construct, id: string, config: StageConfig, props?: StackProps) {
    super(scope, id, props);

    const accessLogs = accessLogBucket(this, 'AccessLogs');

    const lock = config.storage.objectLock;
    const names = dataNames(config.stage);
    this.bucket = new Bucket(this, 'Artifacts', {
      bucketName: names.bucket,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'artifacts/',
      ...(lock
        ? {
            objectLockEnabled: true,
            objectLockDefaultRetention:
              lock.mode === 'COMPLIANCE'
                ? ObjectLockRetention.compliance(Duration.days(lock.days))
                : ObjectLockRetention.governance(Duration.days(lock.days)),
          }
        : {}),
      lifecycleRules:
        config.storage.infrequentAfterDays > 0
          ? [
              {
                id: 'artifacts-to-glacier-ir',
                transitions: [
                  {
                    storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
                    transitionAfter: Duration.days(config.storage.infrequentAfterDays),
                  },
                ],
              },
            ]
          : [],
    });

    const s = TABLE_SCHEMA;
    this.table = new Table(this, 'Catalog', {
      tableName: names.table,
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

    this.key = new Key(this, 'MessagesKey', {
      enableKeyRotation: true,
      description: 'Encrypts Redline notifications and queues at rest',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.editsTopic = new Topic(this, 'Edits', {
      displayName: 'Redline edits',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.alertsTopic = new Topic(this, 'Alerts', {
      displayName: 'Redline capture anomalies and failures',
      masterKey: this.key,
      enforceSSL: true,
    });
    // Key use, audited: only the capture worker publishes to these topics, with IAM grants on this key
    // (the root statement delegates to IAM); email subscribers need no key (SNS decrypts before
    // delivery); no AWS service publishes here. The alarms topic has its own key (capture stack), so
    // this key's policy grants no service principal anything.
    if (config.editsEmail) {
      const subscription = this.editsTopic.addSubscription(new EmailSubscription(config.editsEmail));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason: 'An email convenience copy; every edit is also recorded in the catalog table.',
      });
    }
    if (config.alertsEmail) {
      const subscription = this.alertsTopic.addSubscription(new EmailSubscription(config.alertsEmail));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An email convenience copy; each anomaly and failure is also recorded with its capture in the catalog table.',
      });
    }

    new CfnOutput(this, DATA_OUTPUTS.bucketName, { value: this.bucket.bucketName });
    new CfnOutput(this, DATA_OUTPUTS.tableName, { value: this.table.tableName });
    new CfnOutput(this, DATA_OUTPUTS.editsTopicArn, { value: this.editsTopic.topicArn });
    new CfnOutput(this, DATA_OUTPUTS.alertsTopicArn, { value: this.alertsTopic.topicArn });
  }
}
