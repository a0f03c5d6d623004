import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AnomalyNotification, EditNotification } from '../../core/model.js';
import type { Notifier } from '../../core/ports.js';

/** Publishes edit notifications to an SNS topic, with attributes subscribers can filter on. */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
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

  /** Anomalies carry `type = redline.anomaly`, so an edit subscription's filter policy never sees them. */
  async publishAnomaly(notification: AnomalyNotification): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {
      type: { DataType: 'String', StringValue: notification.type },
      anomaly: { DataType: 'String', StringValue: notification.anomaly },
    };
    if (notification.tags.length > 0) {
      attributes.tags = { DataType: 'String.Array', StringValue: JSON.stringify(notification.tags) };
    }
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: `Capture anomaly (${notification.anomaly}): ${notification.url}`.slice(0, 99),
        Message: JSON.stringify(notification),
        MessageAttributes: attributes,
      }),
    );
  }
}
