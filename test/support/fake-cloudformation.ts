import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * CloudFormation's DescribeStacks on 127.0.0.1, speaking the real wire protocol (AWS Query: a form-encoded
 * POST in, XML out, `ValidationError` for an unknown stack). No emulator for CloudFormation installs from
 * npm (dynalite and fauxqs cover DynamoDB, S3, SNS and SQS only), so the CLI's real SDK client talks to
 * this instead of a mocked client: request signing, serialization and error parsing all run for real.
 */
export async function startFakeCloudFormation(stacks: Record<string, Record<string, string>>) {
  const requests: string[] = [];
  const xmlEscape = (text: string) =>
    text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const name = form.get('StackName') ?? '';
      requests.push(`${form.get('Action')} ${name}`);
      const xmlns = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
      res.setHeader('content-type', 'text/xml');
      const outputs = stacks[name];
      if (form.get('Action') !== 'DescribeStacks' || !outputs) {
        res.statusCode = 400;
        const message =
          form.get('Action') === 'DescribeStacks'
            ? `Stack with id ${name} does not exist`
            : `unsupported action ${form.get('Action')}`;
        res.end(
          `<ErrorResponse xmlns="${xmlns}"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
        return;
      }
      const members = Object.entries(outputs)
        .map(
          ([key, value]) =>
            `<member><OutputKey>${xmlEscape(key)}</OutputKey><OutputValue>${xmlEscape(value)}</OutputValue></member>`,
        )
        .join('');
      res.end(
        `<DescribeStacksResponse xmlns="${xmlns}"><DescribeStacksResult><Stacks><member><StackName>${xmlEscape(name)}</StackName><StackId>arn:aws:cloudformation:us-east-1:000000000000:stack/${xmlEscape(name)}/${randomUUID()}</StackId><CreationTime>2026-11-26T10:00:00.000Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
