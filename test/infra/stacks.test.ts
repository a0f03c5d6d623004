import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackOutputsSchema } from '../../functions/adapters/cloudformation/stack-outputs.js';
import {
  CaptureWorkerEnvSchema,
  PlannerEnvSchema,
  WatchSyncEnvSchema,
} from '../../functions/contracts/env.js';
import {
  CAPTURE_METRIC_NAMES,
  METRICS_DIMENSIONS,
  METRICS_NAMESPACE,
  VERIFY_METRICS_DIMENSIONS,
} from '../../functions/contracts/metrics.js';
import { CAPTURE_OUTPUTS, DATA_OUTPUTS } from '../../functions/contracts/outputs.js';
import { BLOB_KEY_PATTERN } from '../../functions/contracts/storage.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { CaptureStack } from '../../infra/capture-stack.js';
import { loadStageConfig, type StageConfig, StageConfigSchema, watchListFile } from '../../infra/config.js';
import { DataStack } from '../../infra/data-stack.js';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'redline-cdk-'));
  outdirs.push(dir);
  return dir;
};

/** Synthesizes both stacks without bundling, with cdk-nag's AwsSolutions and Serverless packs. */
function synth(
  config: StageConfig,
  extend?: (data: DataStack) => void,
  watchList = watchListFile(config.stage),
) {
  const app = new App({ outdir: tempDir(), context: { 'aws:cdk:bundling-stacks': [] } });
  const data = new DataStack(app, 'Data', config);
  const capture = new CaptureStack(app, 'Capture', data, config, {
    watchListFile: watchList,
    viewerUrl: 'https://viewer.example',
  });
  extend?.(data);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, data, capture };
}

const EXAMPLE_LIST = join(import.meta.dirname, '../../config/watches.example.json');
const prod = loadStageConfig('prod');
const dev = loadStageConfig('dev');
let data: Template;
let capture: Template;
let prodStacks: ReturnType<typeof synth>;

beforeAll(() => {
  const built = synth(
    {
      ...prod,
      alarmEmail: 'ops@example.org',
      editsEmail: 'desk@example.org',
      alertsEmail: 'ops-alerts@example.org',
    },
    undefined,
    EXAMPLE_LIST,
  );
  prodStacks = built;
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
    // The compute stack's only key protects alarm messages in flight: it goes with the stack.
    capture.resourceCountIs('AWS::KMS::Key', 1);
  });
});

describe('stage config', () => {
  it('refuses a misspelt key at any depth, naming it (a typo must not silently keep a default)', () => {
    const typos: [Record<string, unknown>, string][] = [
      [{ tickMinute: 5 }, 'tickMinute'],
      [{ web: { sessionMinute: 30 } }, 'sessionMinute'],
      [{ verify: { shedule: 'rate(1 day)' } }, 'shedule'],
      [{ tsa: { url: ['https://tsa.example/'], caFile: 'roots.pem' } }, 'url'],
      [{ capture: { memoryMb: 4096 } }, 'memoryMb'],
      [{ storage: { objectLock: { mode: 'GOVERNANCE', days: 30, day: 1 } } }, 'day'],
    ];
    for (const [raw, key] of typos) {
      const parsed = StageConfigSchema.safeParse({ stage: 'test', ...raw });
      expect(parsed.success, key).toBe(false);
      expect(JSON.stringify(parsed.error?.issues), key).toContain(key);
    }
    // The examples in config/ use only known keys.
    expect(prod.stage).toBe('prod');
    expect(dev.stage).toBe('dev');
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

  it('topics: KMS-encrypted, with the optional email subscriptions from config', () => {
    data.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    data.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const topicOf = (displayName: string) =>
      Object.keys(data.findResources('AWS::SNS::Topic', { Properties: { DisplayName: displayName } }))[0];
    data.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'desk@example.org',
      TopicArn: { Ref: topicOf('Redline edits') },
    });
    data.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops-alerts@example.org',
      TopicArn: { Ref: topicOf('Redline capture anomalies and failures') },
    });
  });

  it('the messages key grants no service principal: only IAM principals of the account (the worker) publish', () => {
    const [key] = Object.values(data.findResources('AWS::KMS::Key')) as KeyResource[];
    const principals = key!.Properties.KeyPolicy.Statement.map((s) => Object.keys(s.Principal));
    expect(principals).toEqual([['AWS']]);
  });
});

interface PolicyStatementJson {
  Sid?: string;
  Effect: string;
  Principal: Record<string, unknown>;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
type KeyResource = { Properties: { KeyPolicy: { Statement: PolicyStatementJson[] } } };

describe('watch list', () => {
  const syncFunction = (template: Template) => lambdaByDescription(template, 'Upserts the stage watch list');

  it('ships config/<stage>.watches.json as an asset to a custom resource whose function answers CloudFormation itself', () => {
    expect(watchListFile('dev')).toBeUndefined(); // no file for the stage: nothing to sync
    capture.resourceCountIs('Custom::AWS', 0); // no AwsCustomResource (its answer carried the whole invoke result)
    const [resource] = Object.values(capture.findResources('Custom::WatchListSync')) as {
      Properties: Record<string, unknown>;
      DependsOn: string[];
    }[];
    const fn = Object.entries(capture.findResources('AWS::Lambda::Function')).find(([, r]) =>
      (r as { Properties: { Description?: string } }).Properties.Description?.startsWith('Upserts'),
    )!;
    expect(resource!.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [fn[0], 'Arn'] },
      ServiceTimeout: '2100', // fails the deploy after 35 minutes without an answer, not an hour
      WatchListBucket: { 'Fn::Sub': expect.stringMatching(/^cdk-.*-assets-/) },
      WatchListKey: expect.stringMatching(/^[0-9a-f]{64}\.json$/),
      WatchListDigest: sha256(readFileSync(EXAMPLE_LIST)),
    });
    // The first run must already hold its permissions: it waits for the role's policy, not only the function.
    const policy = Object.keys(capture.findResources('AWS::IAM::Policy')).find((id) =>
      id.startsWith('WatchListSyncFunctionServiceRoleDefaultPolicy'),
    );
    expect(resource!.DependsOn).toContain(policy);
    const sync = syncFunction(capture);
    for (const key of Object.keys(WatchSyncEnvSchema.shape))
      expect(sync.Properties.Environment.Variables).toHaveProperty(key);
    expect(sync.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Timeout: 600,
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('gives the sync function only GetItem and PutItem on the table (no index) and GetObject on its one asset', () => {
    const sync = syncFunction(capture);
    const role = (sync.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const statements = Object.values(capture.findResources('AWS::IAM::Policy'))
      .filter((p) =>
        (p as { Properties: { Roles: { Ref: string }[] } }).Properties.Roles.some((r) => r.Ref === role),
      )
      .flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: PolicyStatementJson[] } } }).Properties
            .PolicyDocument.Statement,
      );
    const byAction = Object.fromEntries(
      statements.map((s) => [[s.Action].flat().join(','), JSON.stringify(s.Resource)]),
    );
    expect(Object.keys(byAction).sort()).toEqual([
      'dynamodb:GetItem,dynamodb:PutItem',
      's3:GetObject',
      'xray:PutTraceSegments,xray:PutTelemetryRecords',
    ]);
    expect(byAction['dynamodb:GetItem,dynamodb:PutItem']).toMatch(/table\/redline-prod"/);
    expect(byAction['dynamodb:GetItem,dynamodb:PutItem']).not.toMatch(/index/);
    expect(byAction['s3:GetObject']).toMatch(/\/[0-9a-f]{64}\.json"/);
  });

  it('keeps the template small however long the list: 200 watches change only the asset key and digest', () => {
    const dir = tempDir();
    const many = join(dir, 'prod.watches.json');
    const list = Array.from({ length: 200 }, (_, i) => ({
      url: `https://news${i % 9}.example.org/politics/2026/11/${i}/a-long-article-slug-about-something-${i}`,
      every: '1h',
      tags: ['politics', 'national'],
    }));
    writeFileSync(many, JSON.stringify(list, null, 2));
    const built = synth(dev, undefined, many);
    built.app.synth();
    const template = Template.fromStack(built.capture);
    const resource = Object.values(template.findResources('Custom::WatchListSync'))[0];
    expect(JSON.stringify(resource).length).toBeLessThan(1000);
    expect(JSON.stringify(template.toJSON())).not.toContain('a-long-article-slug');
    expect(readFileSync(many).length).toBeGreaterThan(20_000); // the list itself would not fit a 4 KB answer
  });

  it('fails synth on a bad list, naming the file and entry, before anything deploys', () => {
    const dir = tempDir();
    const bad = join(dir, 'dev.watches.json');
    writeFileSync(
      bad,
      JSON.stringify([{ url: 'https://example.org/a' }, { url: 'https://example.org/b', every: 'often' }]),
    );
    expect(() => synth(dev, undefined, bad)).toThrow(
      /dev\.watches\.json: watch list entry 1 .*invalid cadence "often"/,
    );
  });

  it('an empty list or no list adds no custom resource and no sync function', () => {
    const dir = tempDir();
    const empty = join(dir, 'dev.watches.json');
    writeFileSync(empty, '[]');
    for (const file of [empty, undefined]) {
      const template = Template.fromStack(synth(dev, undefined, file).capture);
      template.resourceCountIs('Custom::WatchListSync', 0);
      expect(
        Object.values(template.findResources('AWS::Lambda::Function')).filter((r) =>
          (r as { Properties: { Description?: string } }).Properties.Description?.startsWith('Upserts'),
        ),
      ).toEqual([]);
    }
  });
});

describe('alarms reach people', () => {
  const alarmsTopic = () =>
    Object.keys(
      capture.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'Redline alarms' } }),
    )[0]!;
  const statementFor = (statements: PolicyStatementJson[]) =>
    statements.find(
      (s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }),
    );
  /** The alarm-ARN pattern of a condition, as a regular expression over alarm names. */
  const alarmNamePattern = (condition: PolicyStatementJson['Condition']) => {
    const arn = JSON.stringify(condition?.ArnLike?.['aws:SourceArn']);
    const name = /:alarm:([^"]+)"/.exec(arn)?.[1];
    expect(name).toBeDefined();
    return new RegExp(`^${name!.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  };

  it('the alarms topic’s key lets CloudWatch use it, for this stage’s alarms in this account only', () => {
    const keys = capture.findResources('AWS::KMS::Key');
    const [keyId, key] = Object.entries(keys)[0] as [string, KeyResource];
    capture.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'Redline alarms',
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    const statement = statementFor(key.Properties.KeyPolicy.Statement);
    expect(statement).toMatchObject({ Effect: 'Allow', Resource: '*' });
    expect([statement!.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(statement!.Condition?.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    expect(alarmNamePattern(statement!.Condition).source).toBe('^Redline-prod-.*$');
    capture.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('the topic policy lets CloudWatch publish, on the same conditions, and still refuses plain HTTP', () => {
    const [policy] = Object.values(capture.findResources('AWS::SNS::TopicPolicy')) as {
      Properties: { PolicyDocument: { Statement: PolicyStatementJson[] }; Topics: unknown[] };
    }[];
    expect(policy!.Properties.Topics).toEqual([{ Ref: alarmsTopic() }]);
    const statement = statementFor(policy!.Properties.PolicyDocument.Statement);
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Action: 'sns:Publish',
      Resource: { Ref: alarmsTopic() },
    });
    expect(alarmNamePattern(statement!.Condition).source).toBe('^Redline-prod-.*$');
    expect(policy!.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('all five alarms notify the topic (alarm and OK), named so the key and topic policies cover them', () => {
    const alarms = Object.values(capture.findResources('AWS::CloudWatch::Alarm')) as {
      Properties: { AlarmName: string; AlarmActions: unknown[]; OKActions: unknown[] };
    }[];
    expect(alarms).toHaveLength(5);
    const [key] = Object.values(capture.findResources('AWS::KMS::Key')) as KeyResource[];
    const covered = alarmNamePattern(statementFor(key!.Properties.KeyPolicy.Statement)!.Condition);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: alarmsTopic() }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: alarmsTopic() }]);
      expect(alarm.Properties.AlarmName).toMatch(covered);
    }
    expect(alarms.map((a) => a.Properties.AlarmName).sort()).toEqual([
      'Redline-prod-dead-letters',
      'Redline-prod-no-successful-capture',
      'Redline-prod-verify-failed',
      'Redline-prod-verify-problems',
      'Redline-prod-worker-error-rate',
    ]);
  });

  it('subscribes alarmEmail to the alarms topic, and warns at synth when a stage has none', () => {
    capture.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.org',
      TopicArn: { Ref: alarmsTopic() },
    });
    const built = synth(dev);
    const template = Template.fromStack(built.capture);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    Annotations.fromStack(built.capture).hasWarning(
      '*',
      Match.stringLikeRegexp('config/dev.json has no alarmEmail'),
    );
    Annotations.fromStack(prodStacks.capture).hasNoWarning('*', Match.stringLikeRegexp('no alarmEmail'));
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
    // And the verifier's two (test/infra/verifier.test.ts).
    capture.resourceCountIs('AWS::CloudWatch::Alarm', 5);
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

describe('contracts (functions/contracts) in the templates', () => {
  it('every output the CLI reads is an output of the data or capture stack, under the contract’s name', () => {
    // CDK's own cross-stack exports (ExportsOutput…) aside: those are not read by name.
    const named = (template: Template) =>
      Object.keys(template.findOutputs('*')).filter((key) => !key.startsWith('ExportsOutput'));
    const dataOutputs = named(data);
    const captureOutputs = named(capture);
    expect(dataOutputs.sort()).toEqual(Object.values(DATA_OUTPUTS).sort());
    // The example watch list makes the WatchListCount output exist too.
    expect(captureOutputs.sort()).toEqual(Object.values(CAPTURE_OUTPUTS).sort());
    for (const name of Object.keys(StackOutputsSchema.shape))
      expect([...dataOutputs, ...captureOutputs]).toContain(name);
  });

  it('alarms and dashboard read exactly the metrics the worker emits, in its namespace and dimension', () => {
    // The verifier's metrics (service `verifier`) are checked in test/infra/verifier.test.ts.
    const verifier = JSON.stringify(
      Object.entries(VERIFY_METRICS_DIMENSIONS).map(([Name, Value]) => ({ Name, Value })),
    );
    const alarmed = Object.values(capture.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => (a as { Properties: Record<string, unknown> }).Properties)
      .filter((p) => p.Namespace === METRICS_NAMESPACE && JSON.stringify(p.Dimensions) !== verifier);
    for (const alarm of alarmed)
      expect(alarm.Dimensions).toEqual(
        Object.entries(METRICS_DIMENSIONS).map(([Name, Value]) => ({ Name, Value })),
      );
    const dashboard = Object.values(capture.findResources('AWS::CloudWatch::Dashboard'))[0] as {
      Properties: { DashboardBody: string | { 'Fn::Join': [string, unknown[]] } };
    };
    const body = dashboard.Properties.DashboardBody;
    const text =
      typeof body === 'string'
        ? body
        : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '')).join('');
    const graphed = [...text.matchAll(/\["([^"]+)","([^"]+)","service","([^"]+)"/g)].filter(
      ([, namespace, , service]) =>
        namespace === METRICS_NAMESPACE && service !== VERIFY_METRICS_DIMENSIONS.service,
    );
    for (const [, , , service] of graphed) expect(service).toBe(METRICS_DIMENSIONS.service);
    const referenced = new Set([...alarmed.map((a) => a.MetricName), ...graphed.map(([, , name]) => name)]);
    expect([...referenced].sort()).toEqual([...CAPTURE_METRIC_NAMES].sort());
  });

  it('scopes the worker’s artifact access to the blob prefix of the storage contract', () => {
    const text = JSON.stringify(capture.findResources('AWS::IAM::Policy'));
    expect(text).toContain(`"s3:prefix":["${BLOB_KEY_PATTERN}"]`);
    expect(text).toContain(`/${BLOB_KEY_PATTERN}"`);
  });
});
