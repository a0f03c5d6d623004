import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureEnvSchema } from '../../functions/handlers/env.js';
import { RedlineStack } from '../../infra/redline-stack.js';

/** Synthesizes without bundling (no esbuild or npm run in unit tests), with cdk-nag's AwsSolutions pack. */
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

function synth(extend?: (stack: RedlineStack) => void) {
  const outdir = mkdtempSync(join(tmpdir(), 'redline-cdk-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new RedlineStack(app, 'Redline', { contactUrl: 'https://example.org/redline' });
  extend?.(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

let template: Template;
let stack: RedlineStack;
let app: App;

beforeAll(() => {
  ({ app, stack } = synth());
  app.synth();
  template = Template.fromStack(stack);
});

describe('RedlineStack', () => {
  it('passes cdk-nag AwsSolutions with every acknowledgement given a reason', () => {
    // app.synth() in beforeAll throws ValidationFailed on any unacknowledged finding.
    expect(template).toBeDefined();
  });

  it('fails synthesis when a resource breaks an AwsSolutions rule', () => {
    const bad = synth((s) => new Bucket(s, 'Unencrypted', { enforceSSL: false }));
    expect(() => bad.app.synth()).toThrow(/AwsSolutions-S10|AwsSolutions-S1/);
  });

  it('keeps artifacts in a private, versioned, TLS-only, encrypted bucket that survives stack deletion', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: Match.objectLike({}),
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'artifacts/' }),
      }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      }),
    });
  });

  it('has one on-demand table with the due and watches indexes, PITR and deletion protection', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'due',
            KeySchema: [
              Match.objectLike({ AttributeName: 'duePk' }),
              Match.objectLike({ AttributeName: 'dueSk' }),
            ],
          }),
          Match.objectLike({ IndexName: 'watches' }),
        ],
      }),
    });
  });

  it('publishes to a KMS-encrypted topic', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('runs the capture function on Node 22 with Chromium-sized resources and its full env schema', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('^Captures due watches') },
    });
    const [capture] = Object.values(functions) as {
      Properties: { Environment: { Variables: Record<string, unknown> } } & Record<string, unknown>;
    }[];
    expect(capture!.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      MemorySize: 2048,
      Timeout: 600,
      EphemeralStorage: { Size: 1024 },
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON' },
    });
    const variables = capture!.Properties.Environment.Variables;
    for (const key of Object.keys(CaptureEnvSchema.shape)) expect(variables).toHaveProperty(key);
    expect(variables.REDLINE_ALLOW_PRIVATE_NETWORK).toBe('0');
  });

  it('ticks on an EventBridge Scheduler schedule that invokes the capture function', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      Target: Match.objectLike({ Input: JSON.stringify({ kind: 'tick' }) }),
    });
  });

  it('never lets the capture function delete artifacts', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }).Properties
          .PolicyDocument.Statement,
    );
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions).toContain('s3:PutObject');
    expect(actions.filter((a) => /^s3:Delete/.test(a))).toEqual([]);
  });

  it('outputs the bucket, table, topic and function names', () => {
    for (const name of ['BucketName', 'TableName', 'TopicArn', 'CaptureFunctionName', 'WatchFunctionName']) {
      template.hasOutput(name, Match.anyValue());
    }
  });
});
