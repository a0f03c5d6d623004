import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { z } from 'zod';
import { DEFAULT_CONTACT_URL } from '../functions/core/user-agent.js';
import { RedlineStack } from './redline-stack.js';

const Context = z.object({
  stackName: z.string().default('Redline'),
  contactUrl: z.url().default(DEFAULT_CONTACT_URL),
  tickMinutes: z.coerce.number().int().min(1).max(1440).default(15),
});

const app = new App();
const config = Context.parse({
  stackName: app.node.tryGetContext('stackName') ?? undefined,
  contactUrl: app.node.tryGetContext('contactUrl') ?? undefined,
  tickMinutes: app.node.tryGetContext('tickMinutes') ?? undefined,
});
new RedlineStack(app, config.stackName, {
  contactUrl: config.contactUrl,
  tickEvery: Duration.minutes(config.tickMinutes),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
