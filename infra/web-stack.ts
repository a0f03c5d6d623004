import {
  Aws,
  CfnOutput,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  AllowedMethods,
  type BehaviorOptions,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { FunctionUrlOrigin, HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  OAuthScope,
  UserPool,
  UserPoolClientIdentityProvider,
} from 'aws-cdk-lib/aws-cognito';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { VIEWER_JS } from '../functions/api/viewer/client.js';
import { INDEX_HTML, VIEWER_CSS } from '../functions/api/viewer/page.js';
import { viewerCsp } from '../functions/api/viewer/serve.js';
import type { ApiEnv, ArchiveEnv } from '../functions/contracts/env.js';
import { WEB_OUTPUTS } from '../functions/contracts/outputs.js';
import { BLOB_KEY_PATTERN, EXPORTS_PREFIX } from '../functions/contracts/storage.js';
import { blobsArn, grantCatalog, retention } from './capture-stack.js';
import { type StageConfig, tsaBundling } from './config.js';
import { accessLogBucket, type DataStack, dataNames } from './data-stack.js';
import { RedlineFunction } from './redline-function.js';

/** The API's paths, forwarded by the viewer's distribution to API Gateway (same origin: no CORS). */
export const API_PATHS = ['/api/*', '/timemap/*', '/timegate/*', '/web/*'] as const;

/**
 * The analysts' desk on AWS, stateless but for the user pool (retained: it holds the analysts):
 *
 * - **Sign-in**: a Cognito user pool (no self sign-up; an administrator creates each analyst; TOTP MFA
 *   required), its hosted UI, and a public app client (authorization code + PKCE) for the viewer.
 * - **Viewer** (CloudFront #1): the same viewer files the local server serves, from a private bucket
 *   through origin access control, plus `config.json` telling the viewer where to sign in. The API's
 *   paths on the same domain go to API Gateway, uncached, with the viewer's `Authorization` header.
 * - **API** (API Gateway HTTP API): a JWT authorizer on the user pool on its only route (`$default`), so
 *   nothing is anonymous; the API function reads the catalog and blobs, writes watches, and hands built
 *   files over through the exports bucket.
 * - **Archive origin** (CloudFront #2, another domain): the archive function's URL (IAM auth, origin
 *   access control), uncached, `Content-Security-Policy: sandbox` on every response; it serves only
 *   capability links the API signed with the key in Secrets Manager.
 */
export class WebStack extends Stack {
  readonly viewerUrl: string;
  readonly archiveUrl: string;
  readonly api: HttpApi;
  readonly apiFunction: RedlineFunction<ApiEnv>;
  readonly archiveFunction: RedlineFunction<ArchiveEnv>;
  readonly userPool: UserPool;
  readonly viewer: Distribution;
  readonly archive: Distribution;

  constructor(scope: Construct, id: string, data: DataStack, config: StageConfig, props?: StackProps) {
    super(scope, id, props);
    const stage = config.stage;
    const logRetention = retention(config.logRetentionDays);

    // CloudFront's standard logs and the viewer files' access logs.
    const logs = accessLogBucket(this, 'WebAccessLogs');

    const viewerFiles = new Bucket(this, 'ViewerFiles', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'viewer-files/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const exports = new Bucket(this, 'Exports', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'exports/',
      removalPolicy: RemovalPolicy.RETAIN,
      // Apart from the artifact bucket on purpose: that one is versioned and, in prod, under Object Lock,
      // so a download copied there could not expire after a day.
      lifecycleRules: [
        {
          id: 'downloads-expire',
          prefix: EXPORTS_PREFIX,
          expiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });

    // ---- sign-in ----
    this.userPool = new UserPool(this, 'Analysts', {
      userPoolName: `redline-${stage}-analysts`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const domain = this.userPool.addDomain('HostedUi', {
      cognitoDomain: {
        domainPrefix: config.web.authDomainPrefix ?? Fn.join('-', ['redline', stage, Aws.ACCOUNT_ID]),
      },
    });
    const hostedUi = domain.baseUrl();

    // ---- the archive origin ----
    const archiveKey = new Secret(this, 'ArchiveLinkKey', {
      description: `Redline ${stage}: HMAC key of the archive origin's capability links`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // ---- the viewer's distribution (its API paths go to API Gateway) ----
    this.api = new HttpApi(this, 'Api', {
      apiName: `redline-${stage}`,
      description: 'Redline API and Memento (JWT: the analysts user pool)',
      createDefaultStage: false,
    });
    const apiOrigin = new HttpOrigin(`${this.api.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`, {
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [OriginSslPolicy.TLS_V1_2],
    });
    const apiBehavior: BehaviorOptions = {
      origin: apiOrigin,
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      // Uncached; all viewer headers but Host (API Gateway answers to its own), Authorization included.
      cachePolicy: CachePolicy.CACHING_DISABLED,
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
    };

    this.archiveFunction = new RedlineFunction<ArchiveEnv>(this, 'ArchiveFunction', {
      entry: 'functions/handlers/archive.ts',
      description: 'Archive origin: archived bytes behind capability links, sandboxed',
      memorySize: 1024,
      timeout: Duration.seconds(30),
      logRetention,
      environment: {
        TABLE_NAME: data.table.tableName,
        BUCKET_NAME: data.bucket.bucketName,
        // Mementos' Link headers name TimeGate and TimeMap on the API Gateway URL (the same routes, the
        // same token): the viewer's domain would be a dependency cycle, its CSP names this origin.
        APP_URL: this.api.apiEndpoint,
        ARCHIVE_KEY_SECRET_ARN: archiveKey.secretArn,
      },
    });
    const archiveUrl = this.archiveFunction.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
    this.archive = new Distribution(this, 'ArchiveDistribution', {
      comment: `Redline ${stage} archive origin (sandboxed archived bytes)`,
      defaultBehavior: {
        origin: FunctionUrlOrigin.withOriginAccessControl(archiveUrl),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        responseHeadersPolicy: new ResponseHeadersPolicy(this, 'ArchiveHeaders', {
          comment: 'Archived bytes: sandboxed, unsniffed, no referrer, never framed by others',
          securityHeadersBehavior: {
            contentSecurityPolicy: { contentSecurityPolicy: 'sandbox', override: true },
            contentTypeOptions: { override: true },
            referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
            strictTransportSecurity: {
              accessControlMaxAge: Duration.days(365),
              includeSubdomains: true,
              override: true,
            },
          },
        }),
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/archive/',
    });
    this.archiveUrl = `https://${this.archive.distributionDomainName}`;

    const viewerHeaders = new ResponseHeadersPolicy(this, 'ViewerHeaders', {
      comment: 'The viewer: its own script and style, archived pages only framed from the archive origin',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: viewerCsp(this.archiveUrl, [hostedUi]),
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
    });
    this.viewer = new Distribution(this, 'ViewerDistribution', {
      comment: `Redline ${stage} viewer and API`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(viewerFiles),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: viewerHeaders,
      },
      additionalBehaviors: Object.fromEntries(API_PATHS.map((path) => [path, apiBehavior])),
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/viewer/',
    });
    this.viewerUrl = `https://${this.viewer.distributionDomainName}`;

    const client = this.userPool.addClient('ViewerClient', {
      userPoolClientName: `redline-${stage}-viewer`,
      generateSecret: false,
      // Only the hosted UI signs in (no password flows through the API), with the code flow and PKCE.
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL],
        callbackUrls: [`${this.viewerUrl}/`],
        logoutUrls: [`${this.viewerUrl}/`],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.minutes(config.web.sessionMinutes),
      idTokenValidity: Duration.minutes(config.web.sessionMinutes),
      refreshTokenValidity: Duration.hours(12),
    });

    // ---- the API ----
    const tsa = tsaBundling(config);
    this.apiFunction = new RedlineFunction<ApiEnv>(this, 'ApiFunction', {
      entry: 'functions/handlers/api.ts',
      description: 'Redline API, Memento and the viewer’s JSON (behind the JWT authorizer)',
      // Evidence bundles and WACZ files are built in memory (at most EXPORT_MAX_BYTES).
      memorySize: 2048,
      // API Gateway waits 30 s at most.
      timeout: Duration.seconds(29),
      logRetention,
      // The timestamp authorities' roots (config `tsa.caFile`): evidence bundles carry them as tsa-ca.pem.
      files: tsa.files,
      environment: {
        TABLE_NAME: data.table.tableName,
        BUCKET_NAME: data.bucket.bucketName,
        EXPORTS_BUCKET_NAME: exports.bucketName,
        APP_URL: this.viewerUrl,
        ARCHIVE_URL: this.archiveUrl,
        ARCHIVE_KEY_SECRET_ARN: archiveKey.secretArn,
        ARCHIVE_LINK_TTL_SECONDS: config.web.archiveLinkMinutes * 60,
        REDLINE_TSA_CA_FILE: tsa.caFile,
        EXPORT_MAX_BYTES: 100 * 1024 * 1024,
      },
    });
    const authorizer = new HttpUserPoolAuthorizer('Analysts', this.userPool, {
      userPoolClients: [client],
      identitySource: ['$request.header.Authorization'],
    });
    // One route, `$default`, with the authorizer: every path and method needs a valid token.
    new HttpRoute(this, 'DefaultRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration('ApiIntegration', this.apiFunction),
      authorizer,
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new HttpStage(this, 'ApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.web.throttle.rate, burstLimit: config.web.throttle.burst },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            sub: '$context.authorizer.claims.sub',
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integrationErrorMessage',
            latency: '$context.responseLatency',
          }),
        ),
      },
    });

    // ---- grants (least privilege) ----
    // Reads for every view; PutItem/UpdateItem/DeleteItem for watch add, update and remove.
    grantCatalog(this.apiFunction, stage, [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ]);
    grantCatalog(this.archiveFunction, stage, ['dynamodb:GetItem', 'dynamodb:Query']);
    for (const fn of [this.apiFunction, this.archiveFunction]) {
      fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [blobsArn(stage)] }));
      // Listing blobs/ lets a missing blob answer 404, not 403.
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [`arn:${Aws.PARTITION}:s3:::${dataNames(stage).bucket}`],
          conditions: { StringLike: { 's3:prefix': [BLOB_KEY_PATTERN] } },
        }),
      );
      archiveKey.grantRead(fn);
    }
    this.apiFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [exports.arnForObjects(`${EXPORTS_PREFIX}*`)],
      }),
    );

    // ---- the viewer's files, and where it signs in ----
    new BucketDeployment(this, 'ViewerDeployment', {
      destinationBucket: viewerFiles,
      sources: [
        Source.data('index.html', INDEX_HTML),
        Source.data('viewer.css', VIEWER_CSS),
        Source.data('viewer.js', VIEWER_JS),
        Source.jsonData('config.json', {
          apiBase: '',
          auth: {
            domain: hostedUi,
            clientId: client.userPoolClientId,
            redirectUri: `${this.viewerUrl}/`,
            scopes: 'openid email',
          },
        }),
      ],
      cacheControl: [CacheControl.noCache()],
      distribution: this.viewer,
      distributionPaths: ['/*'],
      logGroup: new LogGroup(this, 'ViewerDeploymentLogs', {
        retention: logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      memoryLimit: 256,
    });

    this.acknowledgeFindings(stage, archiveKey);

    new CfnOutput(this, WEB_OUTPUTS.viewerUrl, { value: this.viewerUrl });
    new CfnOutput(this, WEB_OUTPUTS.archiveUrl, { value: this.archiveUrl });
    new CfnOutput(this, WEB_OUTPUTS.apiUrl, { value: this.api.apiEndpoint });
    new CfnOutput(this, WEB_OUTPUTS.userPoolId, { value: this.userPool.userPoolId });
    new CfnOutput(this, WEB_OUTPUTS.userPoolClientId, { value: client.userPoolClientId });
    new CfnOutput(this, WEB_OUTPUTS.hostedUiDomain, { value: hostedUi });
  }

  private acknowledgeFindings(stage: string, archiveKey: Secret): void {
    const tls = {
      id: 'AwsSolutions-CFR4',
      reason:
        'Served on the default *.cloudfront.net certificate, with which CloudFront sets the minimum TLS version itself; pin TLSv1.2_2021 with a custom domain and certificate.',
    };
    for (const d of [this.viewer, this.archive]) {
      const v = Validations.of(d);
      v.acknowledge(tls);
      v.acknowledge({
        id: 'AwsSolutions-CFR1',
        reason:
          'Analysts and reporters work from anywhere; every request needs a Cognito token or a signed link.',
      });
      v.acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          'No anonymous request reaches a function: API Gateway checks a JWT and throttles, the archive checks an HMAC link first. WAF can be added per stage.',
      });
    }
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'Essentials plan: accounts are created by an administrator only and TOTP MFA is required; threat protection (Plus) is a per-user cost a stage can opt into.',
    });
    Validations.of(archiveKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'An HMAC key for links living an hour: rotate by hand (docs/deploy.md) and redeploy the web stack, so both functions load the new key together.',
    });
    const blobs = `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::redline-${stage}-<AWS::AccountId>-<AWS::Region>/blobs/*]`;
    for (const fn of [this.apiFunction, this.archiveFunction])
      Validations.of(fn).acknowledge({
        id: blobs,
        reason:
          'Content-addressed artifacts are read under blobs/ only; keys are hashes, unknown in advance.',
      });
    Validations.of(this.apiFunction).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.node.findChild('Exports').node.defaultChild as never)}.Arn>/exports/*]`,
      reason:
        'Each download is a new random key under exports/ (expired after a day); nothing else in that bucket.',
    });
    // BucketDeployment's provider function (a singleton at stack level, written by aws-cdk-lib).
    const provider = this.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    // The deployment's own handler role: cloudfront:CreateInvalidation, which takes no resource-level scope.
    Validations.of(this.node.findChild('ViewerDeployment')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudfront:CreateInvalidation (of the viewer distribution after a deploy) supports no resource-level permissions here.',
    });
    if (provider) {
      const v = Validations.of(provider);
      const because =
        'aws-cdk-lib’s BucketDeployment provider, which copies the viewer’s files at deploy time';
      v.acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: `${because}: writes its own logs only.`,
      });
      for (const finding of [
        'Action::s3:GetObject*',
        'Action::s3:GetBucket*',
        'Action::s3:List*',
        'Action::s3:DeleteObject*',
        'Action::s3:Abort*',
        // The CDK asset bucket, as cdk-nag prints it: with or without a concrete account and region.
        ...assetBucketFindings(this.account, this.region),
        `Resource::<${this.getLogicalId(this.node.findChild('ViewerFiles').node.defaultChild as never)}.Arn>/*`,
        'Resource::*',
      ])
        v.acknowledge({
          id: `AwsSolutions-IAM5[${finding}]`,
          reason: `${because}: reads the CDK asset bucket, replaces the viewer bucket’s files and invalidates the distribution.`,
        });
      for (const id of ['AwsSolutions-L1', 'Serverless-LambdaLatestVersion'])
        v.acknowledge({ id, reason: `${because}: its runtime is chosen by aws-cdk-lib.` });
      v.acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason: `${because}: invoked by CloudFormation, which fails the deploy on an error.`,
      });
      v.acknowledge({
        id: 'Serverless-LambdaTracing',
        reason: `${because}: runs once per deploy; its logs are kept.`,
      });
    }
    for (const fn of [this.apiFunction, this.archiveFunction]) {
      const v = Validations.of(fn);
      v.acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'The AWS managed basic execution role only allows writing the function’s own CloudWatch logs.',
      });
      v.acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
      });
      v.acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'Node.js 22 is pinned for every Redline function (the capture worker’s Chromium is verified on it).',
      });
      v.acknowledge({
        id: 'Serverless-LambdaLatestVersion',
        reason:
          'Node.js 22 is pinned for every Redline function (the capture worker’s Chromium is verified on it).',
      });
      v.acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously (API Gateway, CloudFront): the caller gets the error; nothing to redrive.',
      });
    }
  }
}

/** The partition of a concrete region, as CDK writes it into ARNs once the region is known. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** `Resource::` findings naming the CDK asset bucket, in each form cdk-nag prints it (tokens or concrete). */
function assetBucketFindings(account: string, region: string): string[] {
  const accounts = ['<AWS::AccountId>', ...(Token.isUnresolved(account) ? [] : [account])];
  const regions = ['<AWS::Region>', ...(Token.isUnresolved(region) ? [] : [region])];
  const partitions = ['<AWS::Partition>', ...(Token.isUnresolved(region) ? [] : [partitionOf(region)])];
  return partitions.flatMap((p) =>
    accounts.flatMap((a) => regions.map((r) => `Resource::arn:${p}:s3:::cdk-hnb659fds-assets-${a}-${r}/*`)),
  );
}
