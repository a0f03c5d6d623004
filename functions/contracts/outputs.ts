/**
 * The CloudFormation outputs of a stage's two stacks: infra declares them (CfnOutput ids, which are the
 * output keys), the CLI reads them back (functions/adapters/cloudformation/stack-outputs.ts,
 * functions/remote/runtime.ts). test/infra/stacks.test.ts checks the templates output each of them.
 */

/** Outputs of `<stage>-Data` (infra/data-stack.ts). */
export const DATA_OUTPUTS = {
  bucketName: 'BucketName',
  tableName: 'TableName',
  editsTopicArn: 'EditsTopicArn',
  alertsTopicArn: 'AlertsTopicArn',
} as const;

/** Outputs of `<stage>-Capture` (infra/capture-stack.ts). `watchListCount` only when the stage has a watch list. */
export const CAPTURE_OUTPUTS = {
  captureQueueUrl: 'CaptureQueueUrl',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  watchFunctionName: 'WatchFunctionName',
  watchListCount: 'WatchListCount',
  /** The scheduled verifier's queue: a message `{"kind":"verify"}` starts a pass by hand. */
  verifyQueueUrl: 'VerifyQueueUrl',
} as const;

export type DataOutputName = (typeof DATA_OUTPUTS)[keyof typeof DATA_OUTPUTS];
export type CaptureOutputName = (typeof CAPTURE_OUTPUTS)[keyof typeof CAPTURE_OUTPUTS];
export type StackOutputName = DataOutputName | CaptureOutputName;

/** The stack-name suffixes of a stage's two stacks: `Redline-prod-Data`, `Redline-prod-Capture`. */
export const STACK_SUFFIXES = { data: 'Data', capture: 'Capture' } as const;

/** The names of a stage's two stacks, from its prefix (`Redline-prod`). */
export function stackNames(prefix: string): { data: string; capture: string } {
  return { data: `${prefix}-${STACK_SUFFIXES.data}`, capture: `${prefix}-${STACK_SUFFIXES.capture}` };
}

/** `Redline-prod`, `Redline-prod-Data` and `Redline-prod-Capture` all name the stage `Redline-prod`. */
export function stagePrefix(name: string): string {
  const suffix = `-(${STACK_SUFFIXES.data}|${STACK_SUFFIXES.capture})$`;
  return name.replace(new RegExp(suffix), '');
}
