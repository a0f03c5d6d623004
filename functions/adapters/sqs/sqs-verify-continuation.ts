import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { SQS_MESSAGE_MAX_BYTES, utf8Bytes } from '../../contracts/aws-limits.js';
import type { VerifyContinuation, VerifyMessage, VerifyPass } from '../../core/proof/verify-run.js';
import { QueueError } from './sqs-capture-queue.js';

/**
 * Hands a verify pass to its next invocation: a `verify-continue` message on the verifier's own queue,
 * whose event source invokes the verifier again (a failed slice comes back after the visibility timeout,
 * and goes to the dead-letter queue after the queue's receive count).
 */
export class SqsVerifyContinuation implements VerifyContinuation {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async continuePass(pass: VerifyPass): Promise<void> {
    const message: VerifyMessage = { kind: 'verify-continue', pass };
    const body = JSON.stringify(message);
    const bytes = utf8Bytes(body);
    if (bytes > SQS_MESSAGE_MAX_BYTES) {
      throw new QueueError(
        `verify pass ${pass.passId} is ${bytes} bytes, over SQS's ${SQS_MESSAGE_MAX_BYTES}`,
      );
    }
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body }));
  }
}
