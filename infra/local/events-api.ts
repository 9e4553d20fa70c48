import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { ACCOUNT_CHANGE_DETAIL_TYPE } from '../../shared/application/feed';
import type { HttpResponse } from '../../shared/channels/http';

/**
 * EventBridge's PutEvents on one machine (the AWS JSON protocol, `X-Amz-Target: AWSEvents.PutEvents`),
 * so `aws events put-events --endpoint-url` and the SDK's EventBridgeClient work against `npm start`.
 * The account bus's one rule is applied: "Account Change" events go to the real AccountEvents handler
 * (awaited here, where AWS would invoke it asynchronously); other events match no rule and are dropped,
 * as on AWS.
 */
export const PUT_EVENTS_TARGET = 'AWSEvents.PutEvents';

const EntrySchema = z.object({
  Source: z.string().min(1).max(256),
  DetailType: z.string().min(1).max(128),
  Detail: z
    .string()
    .min(1)
    .max(256 * 1024),
  EventBusName: z.string().max(1600).optional(),
  Time: z.union([z.string(), z.number()]).optional(),
  Resources: z.array(z.string()).max(10).optional(),
  TraceHeader: z.string().optional(),
});
const PutEventsSchema = z.object({
  Entries: z.array(z.unknown()).min(1).max(10),
  EndpointId: z.string().optional(),
});

const awsError = (type: string, message: string): HttpResponse => ({
  statusCode: 400,
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type },
  body: JSON.stringify({ __type: type, message }),
});

export async function putEvents(
  body: string | null,
  deliver: (event: unknown) => Promise<unknown>,
  now: () => Date = () => new Date(),
): Promise<HttpResponse> {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return awsError('SerializationException', 'The request body is not JSON');
  }
  const req = PutEventsSchema.safeParse(json);
  if (!req.success) {
    const i = req.error.issues[0]!;
    return awsError('ValidationException', `${i.path.join('.') || 'body'}: ${i.message}`);
  }
  const results: Array<{ EventId: string } | { ErrorCode: string; ErrorMessage: string }> = [];
  for (const raw of req.data.Entries) {
    const entry = EntrySchema.safeParse(raw);
    if (!entry.success) {
      const i = entry.error.issues[0]!;
      results.push({ ErrorCode: 'InvalidArgument', ErrorMessage: `${i.path.join('.')}: ${i.message}` });
      continue;
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.data.Detail);
    } catch {
      results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' });
      continue;
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
      results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object' });
      continue;
    }
    const id = randomUUID();
    if (entry.data.DetailType === ACCOUNT_CHANGE_DETAIL_TYPE)
      await deliver({
        version: '0',
        id,
        'detail-type': entry.data.DetailType,
        source: entry.data.Source,
        account: '000000000000',
        time: now()
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
        region: 'us-east-1',
        resources: entry.data.Resources ?? [],
        detail,
      });
    results.push({ EventId: id });
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({
      FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length,
      Entries: results,
    }),
  };
}
