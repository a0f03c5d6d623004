import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SNS_MESSAGE_MAX_BYTES, snsPublishBytes, snsSubject } from '../../contracts/aws-limits.js';
import { LimitExceededError } from '../../core/capture/fit.js';
import type { VerifyAlert, VerifyAlerts } from '../../core/proof/verify-run.js';

/**
 * A verify pass's summary on the alerts topic, `type = redline.verify` (subscribers filter on it apart
 * from capture anomalies and failures). The core fits the body (fitVerifyAlert); the whole Publish is
 * measured against SNS's 256 KB before it is sent.
 */
export class SnsVerifyAlerts implements VerifyAlerts {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publishVerifyAlert(alert: VerifyAlert): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {
      type: { DataType: 'String', StringValue: alert.type },
      complete: { DataType: 'String', StringValue: String(alert.complete) },
      problemCount: { DataType: 'Number', StringValue: String(alert.problemCount) },
    };
    const message = JSON.stringify(alert);
    const bytes = snsPublishBytes(message, attributes as Parameters<typeof snsPublishBytes>[1]);
    if (bytes > SNS_MESSAGE_MAX_BYTES) {
      throw new LimitExceededError(
        `verify summary ${alert.passId} is ${bytes} bytes, over SNS's ${SNS_MESSAGE_MAX_BYTES}`,
      );
    }
    const n = alert.problemCount;
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: snsSubject(
          `Redline ${alert.stage}: verify found ${n} problem${n === 1 ? '' : 's'}${alert.complete ? '' : ' (pass incomplete)'}`,
        ),
        Message: message,
        MessageAttributes: attributes,
      }),
    );
  }
}
