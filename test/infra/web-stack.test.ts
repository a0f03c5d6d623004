import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiEnvSchema, ArchiveEnvSchema, CaptureWorkerEnvSchema } from '../../functions/contracts/env.js';
import { WEB_OUTPUTS } from '../../functions/contracts/outputs.js';
import { EXPORTS_PREFIX } from '../../functions/contracts/storage.js';
import { CaptureStack } from '../../infra/capture-stack.js';
import { loadStageConfig, type StageConfig } from '../../infra/config.js';
import { DataStack } from '../../infra/data-stack.js';
import { API_PATHS, WebStack } from '../../infra/web-stack.js';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** The three stacks as infra/app.ts wires them, without bundling, with cdk-nag's two packs. */
function synth(config: StageConfig, env?: { account: string; region: string }) {
  const outdir = mkdtempSync(join(tmpdir(), 'redline-web-cdk-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const props = env ? { env } : {};
  const data = new DataStack(app, 'Data', config, props);
  const web = new WebStack(app, 'Web', data, config, props);
  const capture = new CaptureStack(app, 'Capture', data, config, { ...props, viewerUrl: web.viewerUrl });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, data, web, capture };
}

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

let stacks: ReturnType<typeof synth>;
let web: Template;
let capture: Template;

beforeAll(() => {
  stacks = synth(loadStageConfig('prod'));
  stacks.app.synth(); // throws ValidationFailed on any unacknowledged cdk-nag finding
  web = Template.fromStack(stacks.web);
  capture = Template.fromStack(stacks.capture);
});

const resources = (template: Template, type: string) =>
  Object.entries(template.findResources(type)) as [string, Resource][];

const lambdaByDescription = (template: Template, prefix: string) => {
  const found = resources(template, 'AWS::Lambda::Function').filter(([, r]) =>
    String(r.Properties.Description ?? '').startsWith(prefix),
  );
  expect(found).toHaveLength(1);
  return found[0]!;
};

describe('web stack: cdk-nag', () => {
  it('passes AwsSolutions and Serverless checks for dev and prod, region-agnostic or not (every acknowledgement has a reason)', () => {
    expect(() => synth(loadStageConfig('dev')).app.synth()).not.toThrow();
    // A concrete account and region (as `cdk deploy` has) change how some findings are named.
    expect(() =>
      synth(loadStageConfig('dev'), { account: '123456789012', region: 'eu-west-1' }).app.synth(),
    ).not.toThrow();
    expect(web).toBeDefined();
  });
});

describe('web stack: no anonymous access', () => {
  it('every HTTP API route has the JWT authorizer on the user pool; none is open', () => {
    const routes = resources(web, 'AWS::ApiGatewayV2::Route');
    expect(routes.length).toBeGreaterThan(0);
    const [authorizerId, authorizer] = resources(web, 'AWS::ApiGatewayV2::Authorizer')[0]!;
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
    });
    const jwt = authorizer.Properties.JwtConfiguration as { Issuer: unknown; Audience: unknown[] };
    expect(JSON.stringify(jwt.Issuer)).toContain('cognito-idp');
    expect(jwt.Audience).toHaveLength(1);
    for (const [, route] of routes) {
      expect(route.Properties.AuthorizationType).toBe('JWT');
      expect(route.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
    }
    // The one route is $default: there is no path or method left without it.
    expect(routes.map(([, r]) => r.Properties.RouteKey)).toEqual(['$default']);
  });

  it('the user pool: no self sign-up, strong passwords, TOTP MFA required, retained', () => {
    const [[, pool]] = resources(web, 'AWS::Cognito::UserPool') as [[string, Resource]];
    expect(pool.Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: {
        PasswordPolicy: {
          MinimumLength: 14,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
    });
    expect(pool.DeletionPolicy).toBe('Retain');
  });

  it('the viewer’s app client: public (no secret), authorization code only, back to the viewer', () => {
    web.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: Match.arrayWith(['openid']),
      CallbackURLs: [Match.objectLike({ 'Fn::Join': Match.anyValue() })],
      SupportedIdentityProviders: ['COGNITO'],
    });
    const [[, clientRes]] = resources(web, 'AWS::Cognito::UserPoolClient') as [[string, Resource]];
    expect(JSON.stringify(clientRes.Properties.CallbackURLs)).toContain('ViewerDistribution');
    web.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
  });
});

describe('web stack: two origins', () => {
  const distributions = () =>
    Object.fromEntries(
      resources(web, 'AWS::CloudFront::Distribution').map(([id, r]) => [
        id.startsWith('ViewerDistribution') ? 'viewer' : 'archive',
        r.Properties.DistributionConfig as {
          Origins: {
            Id: string;
            DomainName: unknown;
            OriginAccessControlId?: unknown;
            S3OriginConfig?: unknown;
          }[];
          DefaultCacheBehavior: { CachePolicyId: string; ResponseHeadersPolicyId?: unknown };
          CacheBehaviors?: { PathPattern: string; TargetOriginId: string; CachePolicyId: string }[];
          Logging?: unknown;
        },
      ]),
    );
  // The managed CachingDisabled policy's id.
  const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';

  it('the viewer and the archive are two distributions with different origins', () => {
    const { viewer, archive } = distributions();
    expect(viewer && archive).toBeTruthy();
    const viewerDomains = viewer!.Origins.map((o) => JSON.stringify(o.DomainName));
    const archiveDomains = archive!.Origins.map((o) => JSON.stringify(o.DomainName));
    for (const domain of archiveDomains) expect(viewerDomains).not.toContain(domain);
    // The archive origin is the archive function's URL, behind origin access control.
    expect(archiveDomains.join()).toContain('ArchiveFunctionFunctionUrl');
    expect(archive!.Origins[0]!.OriginAccessControlId).toBeDefined();
    web.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 'lambda',
        SigningBehavior: 'always',
      }),
    });
    web.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    for (const d of [viewer!, archive!]) expect(d.Logging).toBeDefined();
  });

  it('the archive distribution caches nothing and forces Content-Security-Policy: sandbox', () => {
    const { archive } = distributions();
    expect(archive!.DefaultCacheBehavior.CachePolicyId).toBe(CACHING_DISABLED);
    expect(archive!.CacheBehaviors ?? []).toEqual([]);
    web.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: { ContentSecurityPolicy: 'sandbox', Override: true },
        }),
      }),
    });
  });

  it('the viewer’s files come from a private bucket through origin access control; its API paths go uncached to API Gateway', () => {
    const { viewer } = distributions();
    const s3 = viewer!.Origins.find((o) => o.S3OriginConfig !== undefined)!;
    expect(s3.OriginAccessControlId).toBeDefined();
    web.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3' }),
    });
    const bucketId = JSON.stringify(s3.DomainName).match(/"(ViewerFiles[A-Z0-9]+)"/)![1]!;
    const bucket = web.findResources('AWS::S3::Bucket')[bucketId] as Resource;
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    // Its bucket policy lets only CloudFront (this distribution) read.
    const policies = resources(web, 'AWS::S3::BucketPolicy').filter(
      ([, p]) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: bucketId }),
    );
    const statements = policies.flatMap(
      ([, p]) =>
        (p.Properties.PolicyDocument as { Statement: { Effect: string; Principal?: unknown }[] }).Statement,
    );
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(0);
    for (const s of allows) expect(JSON.stringify(s.Principal)).toMatch(/cloudfront\.amazonaws\.com|lambda/);
    const behaviors = viewer!.CacheBehaviors!;
    expect(behaviors.map((b) => b.PathPattern).sort()).toEqual([...API_PATHS].sort());
    for (const b of behaviors) expect(b.CachePolicyId).toBe(CACHING_DISABLED);
  });

  it('the viewer’s CSP frames and images only from the archive domain, and connects only to itself and the sign-in domain', () => {
    const policies = resources(web, 'AWS::CloudFront::ResponseHeadersPolicy').map(([, p]) =>
      JSON.stringify(p.Properties),
    );
    const viewer = policies.find((p) => p.includes('frame-src'))!;
    expect(viewer).toContain('ArchiveDistribution');
    expect(viewer).toContain("frame-ancestors 'none'");
    expect(viewer).toMatch(/connect-src 'self' .*auth\./);
  });
});

describe('web stack: functions, grants, outputs', () => {
  it('the API and archive functions get the environment their handlers parse', () => {
    const [, api] = lambdaByDescription(web, 'Redline API');
    const [, archive] = lambdaByDescription(web, 'Archive origin');
    const vars = (r: Resource) =>
      (r.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    for (const key of Object.keys(ApiEnvSchema.shape)) expect(vars(api)).toHaveProperty(key);
    for (const key of Object.keys(ArchiveEnvSchema.shape)) expect(vars(archive)).toHaveProperty(key);
    expect(vars(api).ARCHIVE_LINK_TTL_SECONDS).toBe('3600');
    // Mementos' Link headers name the API Gateway URL (the viewer's domain would be a dependency cycle).
    expect(vars(archive).APP_URL).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Api/), 'ApiEndpoint'] });
    expect(JSON.stringify(vars(api).APP_URL)).toContain('ViewerDistribution');
  });

  it('least privilege: the API writes watches and exports/* only; the archive reads; both read the key', () => {
    const policies = resources(web, 'AWS::IAM::Policy').map(([, p]) => ({
      roles: JSON.stringify(p.Properties.Roles),
      statements: (
        p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }
      ).Statement,
    }));
    const of = (role: string) => policies.filter((p) => p.roles.includes(role)).flatMap((p) => p.statements);
    const actions = (statements: { Action: string | string[] }[]) =>
      statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    const api = of('ApiFunctionServiceRole');
    const archive = of('ArchiveFunctionServiceRole');
    expect(actions(api)).toEqual(
      expect.arrayContaining([
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        's3:PutObject',
      ]),
    );
    for (const forbidden of ['dynamodb:Scan', 's3:DeleteObject', 'dynamodb:*', 's3:*'])
      expect(actions(api)).not.toContain(forbidden);
    const put = api.find((s) => actions([s]).includes('s3:PutObject'))!;
    expect(JSON.stringify(put.Resource)).toContain(`/${EXPORTS_PREFIX}*`);
    expect(actions(archive)).not.toContain('dynamodb:PutItem');
    expect(actions(archive)).not.toContain('s3:PutObject');
    for (const statements of [api, archive])
      expect(actions(statements)).toContain('secretsmanager:GetSecretValue');
  });

  it('downloads expire after a day in their own bucket; the HMAC key is generated by CloudFormation', () => {
    web.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ Prefix: EXPORTS_PREFIX, ExpirationInDays: 1, Status: 'Enabled' })],
      },
    });
    web.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
    });
  });

  it('the API stage logs every request and throttles', () => {
    web.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: Match.objectLike({ Format: Match.stringLikeRegexp('requestId') }),
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
    });
  });

  it('outputs the viewer, archive and API URLs and the sign-in settings', () => {
    for (const name of Object.values(WEB_OUTPUTS)) expect(Object.keys(web.toJSON().Outputs)).toContain(name);
  });

  it('the capture worker links notifications to the viewer (a cross-stack reference), no presigned link', () => {
    const [, worker] = lambdaByDescription(capture, 'Captures one watch');
    const vars = (worker.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(vars)).not.toContain('DIFF_LINK_EXPIRY_SECONDS');
    expect(JSON.stringify(vars.VIEWER_URL)).toContain('Fn::ImportValue');
    expect(Object.keys(CaptureWorkerEnvSchema.shape)).toContain('VIEWER_URL');
  });
});
