import { describe, expect, it } from 'vitest';
import { SqsError, sqsClient } from '../../infra/ops/sqs';

/** The redrive command's SQS calls: JSON protocol, signed with Signature V4, errors named. */
describe('sqsClient', () => {
  const credentials = {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  };
  const capture = (status: number, answer: unknown) => {
    const sent: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
    const fetch = (async (url: URL, init: RequestInit) => {
      sent.push({
        url: String(url),
        headers: init.headers as Record<string, string>,
        body: String(init.body),
      });
      return new Response(JSON.stringify(answer), { status });
    }) as unknown as typeof globalThis.fetch;
    return { sent, fetch };
  };

  it('sends AmazonSQS.<op> as JSON to the regional endpoint, signed for sqs in that region', async () => {
    const { sent, fetch } = capture(200, { Attributes: { ApproximateNumberOfMessages: '3' } });
    const sqs = sqsClient({ region: 'eu-west-1', credentials, fetch });
    const r = await sqs.call('GetQueueAttributes', { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q' });
    expect(r).toEqual({ Attributes: { ApproximateNumberOfMessages: '3' } });
    expect(sent[0]!.url).toBe('https://sqs.eu-west-1.amazonaws.com/');
    const h = sent[0]!.headers;
    expect(h['x-amz-target']).toBe('AmazonSQS.GetQueueAttributes');
    expect(h['content-type']).toBe('application/x-amz-json-1.0');
    expect(h.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/sqs\/aws4_request, SignedHeaders=.*host.*x-amz-target.*, Signature=[0-9a-f]{64}$/,
    );
    expect(h['x-amz-content-sha256'] ?? h['x-amz-date']).toBeDefined();
    expect(JSON.parse(sent[0]!.body)).toEqual({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q' });
  });

  it('an error answer is an SqsError with the service code', async () => {
    const { fetch } = capture(400, { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'no queue' });
    const sqs = sqsClient({ region: 'eu-west-1', credentials, fetch });
    const e = await sqs.call('ReceiveMessage', { QueueUrl: 'x' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SqsError);
    expect(e).toMatchObject({ code: 'QueueDoesNotExist', status: 400 });
  });
});
