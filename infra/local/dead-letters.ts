import { randomUUID } from 'node:crypto';
import type { HttpResponse } from '../../shared/channels/http';

/**
 * The account feed's dead-letter queue on one machine: what AWS puts in the SQS queue of
 * infra/constructs/account-feed.ts when an import file or an account change event has failed after
 * its retries, kept in memory for the life of `npm start`. It speaks the part of SQS's JSON protocol
 * (`X-Amz-Target: AmazonSQS.<op>`) that `npm run redrive` uses (GetQueueAttributes, ReceiveMessage,
 * ChangeMessageVisibility, DeleteMessage, SendMessage), so the command runs the same code against it as against AWS.
 * Messages have Lambda's on-failure destination shape (requestContext.functionArn, requestPayload).
 */
export const SQS_TARGET_PREFIX = 'AmazonSQS.';
export const LOCAL_DLQ_NAME = 'account-feed-dlq';
export const LOCAL_DLQ_ACCOUNT = '000000000000';
const LOCAL_ACCOUNT = LOCAL_DLQ_ACCOUNT;
export const localFunctionArn = (name: string) =>
  `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:${name}`;

interface Message {
  MessageId: string;
  Body: string;
  MessageAttributes?: Record<string, { DataType: string; StringValue: string }>;
  receiptHandle?: string;
  invisibleUntil: number;
  receives: number;
}

/**
 * Lambda's on-failure record of an asynchronous invocation (what a Lambda destination sends to SQS):
 * the function, why, and the event itself, which is what a redrive invokes the function with again.
 */
export function destinationRecord(functionName: string, event: unknown, error: unknown, now = new Date()) {
  return {
    version: '1.0',
    timestamp: now.toISOString(),
    requestContext: {
      requestId: randomUUID(),
      functionArn: `${localFunctionArn(functionName)}:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    // The error's name only: a message may carry customer data, the name never does.
    responsePayload: { errorType: error instanceof Error ? error.name : 'Error' },
  };
}

export class LocalDeadLetterQueue {
  private messages: Message[] = [];
  constructor(
    /** Set once the local server listens. */
    public url: string,
    private readonly clock: () => number = () => Date.now(),
  ) {}
  get arn() {
    return `arn:aws:sqs:us-east-1:${LOCAL_ACCOUNT}:${LOCAL_DLQ_NAME}`;
  }
  send(body: string, attributes?: Message['MessageAttributes']): string {
    const MessageId = randomUUID();
    this.messages.push({
      MessageId,
      Body: body,
      ...(attributes ? { MessageAttributes: attributes } : {}),
      invisibleUntil: 0,
      receives: 0,
    });
    return MessageId;
  }
  /** A failed asynchronous invocation, as Lambda's on-failure destination records it. */
  deadLetter(functionName: string, event: unknown, error: unknown): string {
    return this.send(JSON.stringify(destinationRecord(functionName, event, error)));
  }
  /** Every message, visible or not (tests). */
  all(): Array<{ MessageId: string; Body: string }> {
    return this.messages.map(({ MessageId, Body }) => ({ MessageId, Body }));
  }
  count() {
    const now = this.clock();
    const visible = this.messages.filter((m) => m.invisibleUntil <= now).length;
    return { visible, notVisible: this.messages.length - visible };
  }
  receive(max: number, visibilitySeconds: number) {
    const now = this.clock();
    const out = this.messages.filter((m) => m.invisibleUntil <= now).slice(0, max);
    for (const m of out) {
      m.receiptHandle = randomUUID();
      m.invisibleUntil = now + visibilitySeconds * 1000;
      m.receives++;
    }
    return out.map((m) => ({
      MessageId: m.MessageId,
      ReceiptHandle: m.receiptHandle!,
      Body: m.Body,
      ...(m.MessageAttributes ? { MessageAttributes: m.MessageAttributes } : {}),
    }));
  }
  /** Deletes by the handle of the latest receive (an older handle deletes nothing, as on SQS). */
  delete(receiptHandle: string): boolean {
    const before = this.messages.length;
    this.messages = this.messages.filter((m) => m.receiptHandle !== receiptHandle);
    return this.messages.length < before;
  }
  changeVisibility(receiptHandle: string, seconds: number): boolean {
    const m = this.messages.find((x) => x.receiptHandle === receiptHandle);
    if (!m) return false;
    m.invisibleUntil = this.clock() + seconds * 1000;
    return true;
  }
  clear() {
    this.messages = [];
  }
}

const sqsError = (type: string, message: string, status = 400): HttpResponse => ({
  statusCode: status,
  headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': `${type};Sender` },
  body: JSON.stringify({ __type: `com.amazonaws.sqs#${type}`, message }),
});
const ok = (body: unknown): HttpResponse => ({
  statusCode: 200,
  headers: { 'content-type': 'application/x-amz-json-1.0' },
  body: JSON.stringify(body),
});

/** One SQS JSON-protocol request against the local dead-letter queue. */
export function sqsApi(queue: LocalDeadLetterQueue, target: string, body: string | null): HttpResponse {
  let req: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(body ?? '{}');
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    req = parsed as Record<string, unknown>;
  } catch {
    return sqsError('InvalidParameterValue', 'The request body is not a JSON object');
  }
  const op = target.slice(SQS_TARGET_PREFIX.length);
  if (op !== 'ListQueues' && req.QueueUrl !== queue.url)
    return sqsError('QueueDoesNotExist', `No queue at ${String(req.QueueUrl).slice(0, 200)}`);
  const int = (v: unknown, min: number, max: number, dflt: number) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
      ? v
      : v === undefined
        ? dflt
        : Number.NaN;
  switch (op) {
    case 'GetQueueAttributes': {
      const { visible, notVisible } = queue.count();
      return ok({
        Attributes: {
          QueueArn: queue.arn,
          ApproximateNumberOfMessages: String(visible),
          ApproximateNumberOfMessagesNotVisible: String(notVisible),
        },
      });
    }
    case 'ReceiveMessage': {
      const max = int(req.MaxNumberOfMessages, 1, 10, 1);
      const vis = int(req.VisibilityTimeout, 0, 43_200, 30);
      if (Number.isNaN(max) || Number.isNaN(vis))
        return sqsError('InvalidParameterValue', 'MaxNumberOfMessages 1-10, VisibilityTimeout 0-43200');
      return ok({ Messages: queue.receive(max, vis) });
    }
    case 'DeleteMessage':
      if (typeof req.ReceiptHandle !== 'string')
        return sqsError('MissingParameter', 'ReceiptHandle is required');
      if (!queue.delete(req.ReceiptHandle))
        return sqsError(
          'ReceiptHandleIsInvalid',
          'The receipt handle is not the latest of a message in the queue',
        );
      return ok({});
    case 'ChangeMessageVisibility': {
      const vis = int(req.VisibilityTimeout, 0, 43_200, Number.NaN);
      if (typeof req.ReceiptHandle !== 'string' || Number.isNaN(vis))
        return sqsError('MissingParameter', 'ReceiptHandle and VisibilityTimeout (0-43200) are required');
      if (!queue.changeVisibility(req.ReceiptHandle, vis))
        return sqsError(
          'ReceiptHandleIsInvalid',
          'The receipt handle is not the latest of a message in the queue',
        );
      return ok({});
    }
    case 'SendMessage':
      if (typeof req.MessageBody !== 'string' || req.MessageBody === '')
        return sqsError('MissingParameter', 'MessageBody is required');
      return ok({ MessageId: queue.send(req.MessageBody) });
    case 'ListQueues':
      return ok({ QueueUrls: [queue.url] });
    default:
      return sqsError(
        'UnsupportedOperation',
        `${op.slice(0, 60)} is not served by the local dead-letter queue`,
      );
  }
}
