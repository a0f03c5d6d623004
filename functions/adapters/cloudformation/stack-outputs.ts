import {
  type CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { z } from 'zod';
import {
  CAPTURE_OUTPUTS,
  DATA_OUTPUTS,
  type StackOutputName,
  stackNames,
  stagePrefix,
} from '../../contracts/outputs.js';
import { RedlineError } from '../../core/domain/errors.js';

export { stagePrefix };

/** What a deployed stage's two stacks output (functions/contracts/outputs.ts), as the CLI needs it. */
export const StackOutputsSchema = z.object({
  [DATA_OUTPUTS.tableName]: z.string().min(1),
  [DATA_OUTPUTS.bucketName]: z.string().min(1),
  [DATA_OUTPUTS.editsTopicArn]: z.string().min(1),
  [DATA_OUTPUTS.alertsTopicArn]: z.string().min(1),
  [CAPTURE_OUTPUTS.captureQueueUrl]: z.url(),
  [CAPTURE_OUTPUTS.deadLetterQueueUrl]: z.url(),
} satisfies Partial<Record<StackOutputName, z.ZodType>>);
export type StackOutputs = z.infer<typeof StackOutputsSchema>;

export class StackNotFoundError extends RedlineError {}

/** Reads the outputs of `<prefix>-Data` and `<prefix>-Capture` with DescribeStacks. */
export async function readStackOutputs(client: CloudFormationClient, name: string): Promise<StackOutputs> {
  const prefix = stagePrefix(name);
  const outputs: Record<string, string> = {};
  const names = stackNames(prefix);
  for (const stackName of [names.data, names.capture]) {
    let stacks: DescribeStacksCommandOutput['Stacks'];
    try {
      ({ Stacks: stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName })));
    } catch (cause) {
      const message = (cause as Error).message ?? String(cause);
      if (/does not exist/.test(message))
        throw new StackNotFoundError(
          `stack ${stackName} not found: deploy it with \`npx cdk deploy --all\``,
          {
            cause,
          },
        );
      throw new StackNotFoundError(`could not read stack ${stackName}: ${message}`, { cause });
    }
    for (const output of stacks?.[0]?.Outputs ?? [])
      if (output.OutputKey && output.OutputValue) outputs[output.OutputKey] = output.OutputValue;
  }
  const parsed = StackOutputsSchema.safeParse(outputs);
  if (!parsed.success)
    throw new StackNotFoundError(
      `stacks ${names.data} and ${names.capture} lack outputs (${z.prettifyError(parsed.error).replace(/\n/g, '; ')}): redeploy them`,
    );
  return parsed.data;
}
