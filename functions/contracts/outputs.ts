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

/** Outputs of `<stage>-Web` (infra/web-stack.ts): where analysts sign in and what scripts call. */
export const WEB_OUTPUTS = {
  viewerUrl: 'ViewerUrl',
  archiveUrl: 'ArchiveUrl',
  apiUrl: 'ApiUrl',
  userPoolId: 'UserPoolId',
  userPoolClientId: 'UserPoolClientId',
  hostedUiDomain: 'HostedUiDomain',
} as const;

export type DataOutputName = (typeof DATA_OUTPUTS)[keyof typeof DATA_OUTPUTS];
export type CaptureOutputName = (typeof CAPTURE_OUTPUTS)[keyof typeof CAPTURE_OUTPUTS];
export type WebOutputName = (typeof WEB_OUTPUTS)[keyof typeof WEB_OUTPUTS];
export type StackOutputName = DataOutputName | CaptureOutputName | WebOutputName;

/** The stack-name suffixes of a stage's stacks: `Redline-prod-Data`, `Redline-prod-Web`, `Redline-prod-Capture`. */
export const STACK_SUFFIXES = { data: 'Data', web: 'Web', capture: 'Capture' } as const;

/** The names of a stage's stacks, from its prefix (`Redline-prod`). */
export function stackNames(prefix: string): { data: string; web: string; capture: string } {
  return {
    data: `${prefix}-${STACK_SUFFIXES.data}`,
    web: `${prefix}-${STACK_SUFFIXES.web}`,
    capture: `${prefix}-${STACK_SUFFIXES.capture}`,
  };
}

/** `Redline-prod`, `Redline-prod-Data`, `-Web` and `-Capture` all name the stage `Redline-prod`. */
export function stagePrefix(name: string): string {
  const suffix = `-(${STACK_SUFFIXES.data}|${STACK_SUFFIXES.web}|${STACK_SUFFIXES.capture})$`;
  return name.replace(new RegExp(suffix), '');
}
