import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureWorkerEnvSchema, PlannerEnvSchema } from '../../functions/handlers/env.js';
import { CaptureStack } from '../../infra/capture-stack.js';
import { loadStageConfig, loadWatchList, type StageConfig } from '../../infra/config.js';
import { DataStack } from '../../infra/data-stack.js';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** Synthesizes both stacks without bundling, with cdk-nag's AwsSolutions and Serverless packs. */
function synth(
  config: StageConfig,
  extend?: (data: DataStack) => void,
  watches = loadWatchList(config.stage),
) {
  const outdir = mkdtempSync(join(tmpdir(), 'redline-cdk-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const data = new DataStack(app, 'Data', config);
  const capture = new CaptureStack(app, 'Capture', data, config, { watches });
  extend?.(data);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, data, capture };
}

const prod = loadStageConfig('prod');
const dev = loadStageConfig('dev');
let data: Template;
let capture: Template;

beforeAll(() => {
  const built = synth({ ...prod, alarmEmail: 'ops@example.org', editsEmail: 'desk@example.org' });
  built.app.synth(); // throws ValidationFailed on any unacknowledged cdk-nag finding
  data = Template.fromStack(built.data);
  capture = Template.fromStack(built.capture);
});

const lambdaByDescription = (template: Template, prefix: string) => {
  const found = template.findResources('AWS::Lambda::Function', {
    Properties: { Description: Match.stringLikeRegexp(`^${prefix}`) },
  });
  return Object.values(found)[0] as {
    Properties: Record<string, unknown> & { Environment: { Variables: Record<string, unknown> } };
  };
};

describe('stacks and cdk-nag', () => {
  it('pass AwsSolutions and Serverless checks for both stages (every acknowledgement has a reason)', () => {
    expect(() => synth(dev).app.synth()).not.toThrow();
    expect(capture).toBeDefined();
  });

  it('fail synthesis when a resource breaks a rule', () => {
    const bad = synth(dev, (d) => new Bucket(d, 'Unencrypted', { enforceSSL: false }));
    expect(() => bad.app.synth()).toThrow(/AwsSolutions-S10|AwsSolutions-S1/);
  });

  it('keep data apart from compute: bucket, table, topics and key live in the data stack, retained', () => {
    for (const type of ['AWS::S3::Bucket', 'AWS::DynamoDB::Table', 'AWS::KMS::Key']) {
      for (const resource of Object.values(data.findResources(type))) {
        expect((resource as { DeletionPolicy?: string }).DeletionPolicy).toBe('Retain');
      }
    }
    data.resourceCountIs('AWS::SNS::Topic', 2);
    capture.resourceCountIs('AWS::DynamoDB::Table', 0);
    capture.resourceCountIs('AWS::S3::Bucket', 0);
  });
});

describe('data stack', () => {
  it('artifacts: private, TLS only, encrypted, versioned, Object Lock and a lifecycle to Glacier IR from config', () => {
    data.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } },
      },
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }] })],
      },
      PublicAccessBlockConfiguration: Match.objectLike({
        BlockPublicAcls: true,
        RestrictPublicBuckets: true,
      }),
      BucketEncryption: Match.anyValue(),
    });
    data.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      }),
    });
  });

  it('catalog: on demand, point-in-time recovery, deletion protection, due and watches indexes', () => {
    data.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'due' }),
        Match.objectLike({ IndexName: 'watches' }),
      ],
    });
  });

  it('topics: KMS-encrypted, with the optional email subscription from config', () => {
    data.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    data.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    data.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'desk@example.org' });
  });
});

describe('watch list', () => {
  it('syncs config/<stage>.watches.json through the watch-admin function on deploy', () => {
    const list = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../config/watches.example.json'), 'utf8'),
    );
    expect(loadWatchList('dev')).toEqual([]); // no file for the stage: nothing to sync
    const built = synth(dev, undefined, list);
    built.app.synth();
    const template = Template.fromStack(built.capture);
    const [resource] = Object.values(template.findResources('Custom::AWS')) as {
      Properties: { Create: unknown };
    }[];
    const create = JSON.parse(JSON.stringify(resource!.Properties.Create)) as
      | string
      | { 'Fn::Join': unknown[] };
    const text = typeof create === 'string' ? create : JSON.stringify(create);
    expect(text).toMatch(/action[\\"]*:[\\"]*sync/);
    expect(text).toContain('https://www.example.org/news/feed.xml');
  });
});

describe('capture stack', () => {
  it('schedules the planner, which queues to the worker through SQS with a dead-letter queue', () => {
    capture.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: `rate(${prod.tickMinutes} minutes)`,
      Target: Match.objectLike({ Input: JSON.stringify({ kind: 'tick' }) }),
    });
    capture.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: prod.capture.timeoutSeconds * 6,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: prod.capture.maxReceiveCount },
    });
    capture.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: prod.capture.batchSize,
      ScalingConfig: { MaximumConcurrency: prod.capture.maxConcurrency },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('gives each function its env schema, Node 22, JSON logs and tracing', () => {
    const worker = lambdaByDescription(capture, 'Captures one watch');
    const planner = lambdaByDescription(capture, 'Reads the due watches');
    for (const key of Object.keys(CaptureWorkerEnvSchema.shape))
      expect(worker.Properties.Environment.Variables).toHaveProperty(key);
    for (const key of Object.keys(PlannerEnvSchema.shape))
      expect(planner.Properties.Environment.Variables).toHaveProperty(key);
    expect(worker.Properties.Environment.Variables.REDLINE_ALLOW_PRIVATE_NETWORK).toBe('0');
    expect(worker.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      MemorySize: prod.capture.memoryMiB,
      Timeout: prod.capture.timeoutSeconds,
      EphemeralStorage: { Size: 1024 },
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON' },
    });
  });

  it('lets no function delete an artifact, and uses no wildcard beyond the acknowledged ones', () => {
    const statements = Object.values(capture.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }).Properties
          .PolicyDocument.Statement,
    );
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions).toContain('s3:PutObject');
    expect(actions.filter((a) => /^s3:Delete|^dynamodb:\*|^s3:\*/.test(a))).toEqual([]);
  });

  it('grants the worker exactly the table calls its catalog and journal make', () => {
    const worker = lambdaByDescription(capture, 'Captures one watch');
    const role = (worker.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const policies = Object.values(capture.findResources('AWS::IAM::Policy')).filter((p) =>
      (p as { Properties: { Roles: { Ref: string }[] } }).Properties.Roles.some((r) => r.Ref === role),
    );
    const actions = policies.flatMap((p) =>
      (
        p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }
      ).Properties.PolicyDocument.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])),
    );
    expect(actions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
  });

  it('alarms on dead letters, the worker error rate and no successful capture, and has a dashboard', () => {
    capture.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    capture.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
    });
    capture.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CapturesComplete',
      Namespace: 'Redline',
      Period: prod.noCaptureAlarmHours * 3600,
      TreatMissingData: 'breaching',
    });
    capture.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.org',
    });
    capture.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});
