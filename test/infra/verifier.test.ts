import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerifierEnvSchema } from '../../functions/contracts/env.js';
import {
  METRICS_NAMESPACE,
  VERIFY_METRIC_NAMES,
  VERIFY_METRICS_DIMENSIONS,
} from '../../functions/contracts/metrics.js';
import { CAPTURE_OUTPUTS } from '../../functions/contracts/outputs.js';
import { BLOB_KEY_PATTERN } from '../../functions/contracts/storage.js';
import { CaptureStack } from '../../infra/capture-stack.js';
import { loadStageConfig, type StageConfig, TSA_ROOTS_FILE } from '../../infra/config.js';
import { DataStack } from '../../infra/data-stack.js';
import { OBSERVED_VERIFY_METRICS } from '../../infra/verifier.js';
import { startTestTsa, type TestTsa } from '../support/test-tsa.js';

/**
 * The scheduled verifier in the capture stack's template (bundling off, cdk-nag on), and the stage
 * config's `verify` and `tsa` blocks as synth checks them.
 */
const dirs: string[] = [];
const tempDir = (prefix = 'redline-verifier-') => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
let tsa: TestTsa;
beforeAll(async () => {
  tsa = await startTestTsa();
});
afterAll(async () => {
  await tsa?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function synth(config: StageConfig) {
  const app = new App({ outdir: tempDir('redline-cdk-'), context: { 'aws:cdk:bundling-stacks': [] } });
  const data = new DataStack(app, 'Data', config);
  const capture = new CaptureStack(
    app,
    'Capture',
    data,
    { ...config, alarmEmail: 'ops@example.org' },
    {
      viewerUrl: 'https://viewer.example',
    },
  );
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  app.synth(); // throws ValidationFailed on any unacknowledged cdk-nag finding
  return { capture, template: Template.fromStack(capture) };
}

/** A config directory with `<stage>.json` (the given settings over prod's) and the test TSA's roots. */
function configDir(settings: Record<string, unknown>): string {
  const dir = tempDir();
  const prod = JSON.parse(readFileSync(join(import.meta.dirname, '../../config/prod.json'), 'utf8'));
  writeFileSync(join(dir, 'stage.json'), JSON.stringify({ ...prod, ...settings }));
  copyFileSync(tsa.rootPemPath, join(dir, 'tsa-roots.pem'));
  return dir;
}

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

function verifierPolicy(template: Template): Statement[] {
  const fns = template.findResources('AWS::Lambda::Function', {
    Properties: { Description: Match.stringLikeRegexp('^Verifies the archive') },
  });
  const [fn] = Object.values(fns) as { Properties: { Role: { 'Fn::GetAtt': string[] } } }[];
  const role = fn!.Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) =>
      (p as { Properties: { Roles: { Ref: string }[] } }).Properties.Roles.some((r) => r.Ref === role),
    )
    .flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
}

describe('the verifier in the capture stack', () => {
  let template: Template;
  let prod: StageConfig;
  beforeAll(() => {
    prod = loadStageConfig('prod');
    template = synth(prod).template;
  });

  it('is scheduled from config: the scheduler puts a verify message with its scheduled time on the queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: prod.verify.schedule,
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('VerifyRequests'), 'Arn'] },
        Input: JSON.stringify({ kind: 'verify', scheduledTime: '<aws.scheduler.scheduled-time>' }),
      }),
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('VerifyRequests'), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: prod.verify.timeoutMinutes * 60 * 6,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('VerifyDeadLetters'), 'Arn'] },
        maxReceiveCount: 3,
      },
    });
    expect(Object.keys(template.findOutputs(CAPTURE_OUTPUTS.verifyQueueUrl))).toHaveLength(1);
  });

  it('sets its env schema from config: mode, groups, interval, the invocation cap', () => {
    const [fn] = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('^Verifies the archive') },
      }),
    ) as { Properties: { Environment: { Variables: Record<string, unknown> }; Timeout: number } }[];
    const vars = fn!.Properties.Environment.Variables;
    for (const key of Object.keys(VerifierEnvSchema.shape)) expect(vars).toHaveProperty(key);
    expect(vars).toMatchObject({
      VERIFY_MODE: prod.verify.mode,
      VERIFY_SAMPLE_GROUPS: String(Math.ceil(1 / prod.verify.sampleFraction)),
      VERIFY_INTERVAL_SECONDS: '86400',
      VERIFY_MAX_INVOCATIONS: String(prod.verify.maxInvocations),
      REDLINE_STAGE: 'prod',
      REDLINE_TSA_CA_FILE: '',
    });
    expect(fn!.Properties.Timeout).toBe(prod.verify.timeoutMinutes * 60);
    // The parsed env has what the template sets (strings coerced), so a cold start accepts it.
    const parsed = VerifierEnvSchema.safeParse(
      Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : 'x'])),
    );
    expect(parsed.success, JSON.stringify(parsed.error)).toBe(true);
  });

  it('reads the table (Query only) and blobs (GetObject only); writes only its queue and the alerts topic', () => {
    const statements = verifierPolicy(template);
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:Query']);
    expect(actions.filter((a) => a.startsWith('s3:')).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(
      actions.filter((a) => /^(dynamodb|s3):/.test(a) && /Put|Update|Delete|Write|Restore/.test(a)),
    ).toEqual([]);
    // Its queue only: the event source receives and deletes, the function sends the continuation.
    for (const s of statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')))) {
      expect(JSON.stringify(s.Resource)).toContain('VerifyRequests');
    }
    const query = statements.find((s) => actionsOf(s).includes('dynamodb:Query'))!;
    expect(JSON.stringify(query.Resource)).not.toContain('index/due');
    const get = statements.find((s) => actionsOf(s).includes('s3:GetObject'))!;
    expect(JSON.stringify(get.Resource)).toContain(`/${BLOB_KEY_PATTERN}`);
    const list = statements.find((s) => actionsOf(s).includes('s3:ListBucket'))!;
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': [BLOB_KEY_PATTERN] } });
    const publish = statements.find((s) => actionsOf(s).includes('sns:Publish'))!;
    const [fn] = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('^Verifies the archive') },
      }),
    ) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[];
    // The topic its ALERTS_TOPIC_ARN names, and no other.
    expect(publish.Resource).toEqual(fn!.Properties.Environment.Variables.ALERTS_TOPIC_ARN);
    const send = statements.find((s) => actionsOf(s).includes('sqs:SendMessage'))!;
    expect(JSON.stringify(send.Resource)).toContain('VerifyRequests');
    expect(actions).not.toContain('lambda:InvokeFunction');
  });

  it('alarms on VerifyProblems ≥ 1 and on a dead-lettered pass, to the alarms topic, and graphs its metrics', () => {
    const alarmsTopic = Object.keys(
      template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'Redline alarms' } }),
    )[0]!;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Redline-prod-verify-problems',
      MetricName: 'VerifyProblems',
      Namespace: METRICS_NAMESPACE,
      Dimensions: Object.entries(VERIFY_METRICS_DIMENSIONS).map(([Name, Value]) => ({ Name, Value })),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
      AlarmActions: [{ Ref: alarmsTopic }],
      OKActions: [{ Ref: alarmsTopic }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Redline-prod-verify-failed',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('VerifyDeadLetters'), 'QueueName'] },
        },
      ],
      AlarmActions: [{ Ref: alarmsTopic }],
    });
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    for (const name of VERIFY_METRIC_NAMES)
      expect(body).toContain(`\\"${name}\\",\\"service\\",\\"verifier\\"`);
    expect(
      [...new Set([...OBSERVED_VERIFY_METRICS.alarms, ...OBSERVED_VERIFY_METRICS.dashboard])].sort(),
    ).toEqual([...VERIFY_METRIC_NAMES].sort());
  });
});

describe('stage config: verify and tsa', () => {
  it('a full verifier on a cron schedule; a sampled one on cron needs intervalHours', () => {
    const dir = configDir({ verify: { schedule: 'cron(0 3 * * ? *)', mode: 'full' } });
    const config = loadStageConfig('stage', dir);
    const { template } = synth(config);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 3 * * ? *)' });
    const bad = configDir({ verify: { schedule: 'cron(0 3 * * ? *)', mode: 'sampled' } });
    expect(() => loadStageConfig('stage', bad)).toThrow(/intervalHours/);
    const typo = configDir({ verify: { schedule: 'every day' } });
    expect(() => loadStageConfig('stage', typo)).toThrow(/rate\(N minutes\|hours\|days\)/);
    const sampled = configDir({
      verify: { schedule: 'cron(0 3 * * ? *)', mode: 'sampled', sampleFraction: 0.25, intervalHours: 24 },
    });
    expect(loadStageConfig('stage', sampled).verify).toMatchObject({ mode: 'sampled', intervalHours: 24 });
  });

  it('tsa: the URLs and the roots file reach the worker and the verifier; the file is checked at synth', () => {
    const dir = configDir({ tsa: { urls: [tsa.url, 'https://tsa.example.org/'], caFile: 'tsa-roots.pem' } });
    const config = loadStageConfig('stage', dir);
    expect(config.tsa!.caFile).toBe(join(dir, 'tsa-roots.pem'));
    const { template } = synth(config);
    const vars = (description: string) =>
      (
        Object.values(
          template.findResources('AWS::Lambda::Function', {
            Properties: { Description: Match.stringLikeRegexp(`^${description}`) },
          }),
        )[0] as { Properties: { Environment: { Variables: Record<string, string> } } }
      ).Properties.Environment.Variables;
    expect(vars('Captures one watch')).toMatchObject({
      REDLINE_TSA_URLS: `${tsa.url},https://tsa.example.org/`,
      REDLINE_TSA_CA_FILE: TSA_ROOTS_FILE,
    });
    expect(vars('Verifies the archive')).toMatchObject({ REDLINE_TSA_CA_FILE: TSA_ROOTS_FILE });

    const missing = configDir({ tsa: { urls: [], caFile: 'nowhere.pem' } });
    expect(() => loadStageConfig('stage', missing)).toThrow(/tsa.caFile: cannot read .*nowhere\.pem/);
    const notPem = configDir({ tsa: { urls: [], caFile: 'stage.json' } });
    expect(() => loadStageConfig('stage', notPem)).toThrow(/holds no usable PEM certificates/);
    const badUrl = configDir({ tsa: { urls: ['ftp://tsa.example.org/'], caFile: 'tsa-roots.pem' } });
    expect(() => loadStageConfig('stage', badUrl)).toThrow(/http\(s\) URL/);
  });
});
