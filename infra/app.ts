import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { stackNames } from '../functions/contracts/outputs.js';
import { CaptureStack } from './capture-stack.js';
import { loadStageConfig, watchListFile } from './config.js';
import { DataStack } from './data-stack.js';
import { WebStack } from './web-stack.js';

/** `npx cdk deploy --all -c stage=prod`: three stacks per stage, data apart from compute and the web desk. */
const app = new App();
const stage = String(app.node.tryGetContext('stage') ?? 'dev');
const config = loadStageConfig(stage);
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
const names = stackNames(`Redline-${stage}`);
const data = new DataStack(app, names.data, config, { env, terminationProtection: stage === 'prod' });
const web = new WebStack(app, names.web, data, config, { env });
new CaptureStack(app, names.capture, data, config, {
  env,
  watchListFile: watchListFile(stage),
  viewerUrl: web.viewerUrl,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
app.synth();
