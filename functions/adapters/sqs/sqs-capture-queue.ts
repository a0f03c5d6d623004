import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  SQS_BATCH_MAX_BYTES,
  SQS_BATCH_MAX_ENTRIES,
  SQS_MESSAGE_MAX_BYTES,
  utf8Bytes,
} from '../../contracts/aws-limits.js';
import { RedlineError } from '../../core/domain/errors.js';
import type { CaptureRequest } from '../../core/domain/model.js';
import type { CaptureQueue } from '../../core/domain/ports.js';

export class QueueError extends RedlineError {}

/**
 * Message bodies grouped into SendMessageBatch requests within SQS's limits: at most 10 entries and
 * 256 KB in all per request. A body over the per-message limit is an error (a capture request is ~80 bytes).
 */
export function packBatches(
  bodies: string[],
  limits = {
    entries: SQS_BATCH_MAX_ENTRIES,
    bytes: SQS_BATCH_MAX_BYTES,
    messageBytes: SQS_MESSAGE_MAX_BYTES,
  },
): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const body of bodies) {
    const bytes = utf8Bytes(body);
    if (bytes > limits.messageBytes) {
      throw new QueueError(`a queue message of ${bytes} bytes is over SQS's ${limits.messageBytes}`);
    }
    if (current.length === limits.entries || size + bytes > limits.bytes) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(body);
    size += bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Capture requests on SQS, in batches within SQS's limits; a partly failed batch is an error (its watches' leases expire and they are planned again). */
export class SqsCaptureQueue implements CaptureQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(requests: CaptureRequest[]): Promise<void> {
    for (const batch of packBatches(requests.map((request) => JSON.stringify(request)))) {
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((body, k) => ({ Id: String(k), MessageBody: body })),
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
