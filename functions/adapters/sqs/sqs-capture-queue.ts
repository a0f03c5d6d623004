import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { RedlineError } from '../../core/errors.js';
import type { CaptureRequest } from '../../core/model.js';
import type { CaptureQueue } from '../../core/ports.js';

export class QueueError extends RedlineError {}

/** Capture requests on SQS, ten to a batch; a partly failed batch is an error (its watches' leases expire and they are planned again). */
export class SqsCaptureQueue implements CaptureQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(requests: CaptureRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += 10) {
      const batch = requests.slice(i, i + 10);
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((request, k) => ({ Id: String(k), MessageBody: JSON.stringify(request) })),
        }),
      );
      if (result.Failed?.length) {
        throw new QueueError(
          `${result.Failed.length} of ${batch.length} capture requests were not queued: ${result.Failed[0]?.Message}`,
        );
      }
    }
  }
}
