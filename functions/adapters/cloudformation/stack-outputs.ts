import {
  type CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { z } from 'zod';
import { RedlineError } from '../../core/domain/errors.js';

/** What a deployed stage's two stacks output (infra/data-stack.ts, infra/capture-stack.ts), as the CLI needs it. */
export const StackOutputsSchema = z.object({
  TableName: z.string().min(1),
  BucketName: z.string().min(1),
  EditsTopicArn: z.string().min(1),
  AlertsTopicArn: z.string().min(1),
  CaptureQueueUrl: z.url(),
  DeadLetterQueueUrl: z.url(),
});
export type StackOutputs = z.infer<typeof StackOutputsSchema>;

export class StackNotFoundError extends RedlineError {}

/** `Redline-prod`, `Redline-prod-Data` and `Redline-prod-Capture` all name the stage `Redline-prod`. */
export function stagePrefix(name: string): string {
  return name.replace(/-(Data|Capture)$/, '');
}

/** Reads the outputs of `<prefix>-Data` and `<prefix>-Capture` with DescribeStacks. */
export async function readStackOutputs(client: CloudFormationClient, name: string): Promise<StackOutputs> {
  const prefix = stagePrefix(name);
  const outputs: Record<string, string> = {};
  for (const stackName of [`${prefix}-Data`, `${prefix}-Capture`]) {
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
      `stacks ${prefix}-Data/-Capture lack outputs (${z.prettifyError(parsed.error).replace(/\n/g, '; ')}): redeploy them`,
    );
  return parsed.data;
}
