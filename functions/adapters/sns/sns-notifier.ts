import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SNS_MESSAGE_MAX_BYTES, snsPublishBytes, snsSubject } from '../../contracts/aws-limits.js';
import { LimitExceededError } from '../../core/capture/fit.js';
import type {
  AnomalyNotification,
  EditNotification,
  FailureNotification,
  Notification,
} from '../../core/domain/model.js';
import type { Notifier } from '../../core/domain/ports.js';

/**
 * Publishes notifications to SNS topics, with attributes subscribers can filter on. The core fits each
 * body to the limit (core/capture/fit.ts); here the Subject is made to keep SNS's rules and the whole Publish
 * (body and attributes) is measured against the 256 KB before it is sent.
 */
export class SnsNotifier implements Notifier {
  /** Edits go to `topicArn`; anomalies and failures to `alertsTopicArn` (the same topic if not given). */
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
    private readonly alertsTopicArn = topicArn,
  ) {}

  async publishEdit(notification: EditNotification): Promise<void> {
    await this.send(this.topicArn, notification, `Edited: ${notification.title}`, {
      editKinds: {
        DataType: 'String.Array',
        StringValue: JSON.stringify([...new Set(notification.edits.map((e) => e.kind))]),
      },
      significance: { DataType: 'String', StringValue: notification.significance },
      silent: { DataType: 'String', StringValue: String(notification.silent) },
      revert: { DataType: 'String', StringValue: String(notification.revertOf !== undefined) },
    });
  }

  /** Anomalies carry `type = redline.anomaly` and go to the alerts topic, never drowning edits. */
  async publishAnomaly(notification: AnomalyNotification): Promise<void> {
    await this.send(
      this.alertsTopicArn,
      notification,
      `Capture anomaly (${notification.anomaly}): ${notification.url}`,
      { anomaly: { DataType: 'String', StringValue: notification.anomaly } },
    );
  }

  async publishFailure(notification: FailureNotification): Promise<void> {
    await this.send(this.alertsTopicArn, notification, `Capture failing: ${notification.url}`, {});
  }

  private async send(
    topicArn: string,
    notification: Notification,
    subject: string,
    extra: Record<string, MessageAttributeValue>,
  ): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {
      type: { DataType: 'String', StringValue: notification.type },
      ...extra,
    };
    if (notification.tags.length > 0) {
      attributes.tags = { DataType: 'String.Array', StringValue: JSON.stringify(notification.tags) };
    }
    const message = JSON.stringify(notification);
    const bytes = snsPublishBytes(message, attributes as Parameters<typeof snsPublishBytes>[1]);
    if (bytes > SNS_MESSAGE_MAX_BYTES) {
      throw new LimitExceededError(
        `${notification.type} for ${notification.watchId} is ${bytes} bytes, over SNS's ${SNS_MESSAGE_MAX_BYTES}`,
      );
    }
    await this.client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: snsSubject(subject),
        Message: message,
        MessageAttributes: attributes,
      }),
    );
  }
}
