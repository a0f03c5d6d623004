import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AnomalyNotification, EditNotification, FailureNotification } from '../../core/model.js';
import type { Notifier } from '../../core/ports.js';

/** Publishes edit notifications to an SNS topic, with attributes subscribers can filter on. */
export class SnsNotifier implements Notifier {
  /** Edits go to `topicArn`; anomalies and failures to `alertsTopicArn` (the same topic if not given). */
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
    private readonly alertsTopicArn = topicArn,
  ) {}

  async publishEdit(notification: EditNotification): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {
      type: { DataType: 'String', StringValue: notification.type },
      editKinds: {
        DataType: 'String.Array',
        StringValue: JSON.stringify([...new Set(notification.edits.map((e) => e.kind))]),
      },
      significance: { DataType: 'String', StringValue: notification.significance },
      silent: { DataType: 'String', StringValue: String(notification.silent) },
      revert: { DataType: 'String', StringValue: String(notification.revertOf !== undefined) },
    };
    if (notification.tags.length > 0) {
      attributes.tags = { DataType: 'String.Array', StringValue: JSON.stringify(notification.tags) };
    }
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: `Edited: ${notification.title}`.slice(0, 99).replace(/[\r\n]/g, ' '),
        Message: JSON.stringify(notification),
        MessageAttributes: attributes,
      }),
    );
  }

  /** Anomalies carry `type = redline.anomaly` and go to the alerts topic, never drowning edits. */
  async publishAnomaly(notification: AnomalyNotification): Promise<void> {
    await this.publishAlert(notification, `Capture anomaly (${notification.anomaly})`, {
      anomaly: { DataType: 'String', StringValue: notification.anomaly },
    });
  }

  async publishFailure(notification: FailureNotification): Promise<void> {
    await this.publishAlert(notification, 'Capture failing', {});
  }

  private async publishAlert(
    notification: AnomalyNotification | FailureNotification,
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
    await this.client.send(
      new PublishCommand({
        TopicArn: this.alertsTopicArn,
        Subject: `${subject}: ${notification.url}`.slice(0, 99).replace(/[\r\n]/g, ' '),
        Message: JSON.stringify(notification),
        MessageAttributes: attributes,
      }),
    );
  }
}
