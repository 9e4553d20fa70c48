import { parseArgs } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { LOCAL_DLQ_ACCOUNT, LOCAL_DLQ_NAME } from '../local/dead-letters';
import { type Sqs, SqsError, sqsClient } from './sqs';

/**
 * `npm run redrive`: the account feed's dead-letter queue back to where it failed. What lands there
 * is not from an SQS queue (so SQS's StartMessageMoveTask, which moves messages to their source
 * queue, has nowhere to move them): it is Lambda's on-failure record of an import file or an account
 * change (`requestContext.functionArn`, `requestPayload`), or an event EventBridge could not deliver
 * (its `TARGET_ARN` attribute). Each is invoked again, asynchronously, on the function it failed on,
 * with the payload it failed with, and deleted from the queue only once Lambda has accepted it (202).
 * The handlers are idempotent (asOf-guarded updates, imports that only read what is already written),
 * so a message redriven twice (a delete lost after its invoke) changes nothing more. A failed invoke
 * leaves the message in the queue; so does a message of an unknown shape.
 */
const USAGE = `npm run redrive -- --queue-url URL [--region REGION] [--dry-run] [--max N]
npm run redrive -- --local [--url http://127.0.0.1:3000] [--dry-run] [--max N]

  --queue-url URL  the dead-letter queue (stack output AccountFeedDlqUrl):
                   aws cloudformation describe-stacks --stack-name RetentionDesk-Service \\
                     --query "Stacks[0].Outputs[?OutputKey=='AccountFeedDlqUrl'].OutputValue" --output text
  --region REGION  default AWS_REGION (credentials: the SDK's usual chain, AWS_PROFILE, …)
  --local          the dead-letter queue of npm start (--url, default http://127.0.0.1:3000)
  --dry-run        list what would be redriven; nothing is invoked or deleted (what it lists is
                   hidden from other readers while it lists, then visible again)
  --max N          stop after N messages (default: all)
Exit 0: every message redriven (or listed); 1: some left in the queue (see each line); 2: bad usage.`;

export interface Message {
  MessageId: string;
  ReceiptHandle: string;
  Body: string;
  MessageAttributes?: Record<string, { StringValue?: string }>;
}

export type RedrivePlan =
  | { kind: 'invoke'; functionArn: string; payload: unknown; what: string }
  | { kind: 'unknown'; why: string };

// biome-ignore lint/suspicious/noExplicitAny: a parsed message, read field by field and each field checked
type Json = Record<string, any>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What a payload is, in a few words with no customer data: a file's key, or an event's id and type. */
function describe(payload: unknown): string {
  if (!isObject(payload)) return 'payload';
  const s3 = payload.Records?.[0]?.s3;
  if (s3?.object?.key)
    return `file s3://${s3.bucket?.name ?? '?'}/${decodeURIComponent(String(s3.object.key))}`;
  if (payload['detail-type']) return `event ${payload.id ?? '?'} (${payload['detail-type']})`;
  return 'payload';
}

/** Where a dead-lettered message goes back to, and with what (or why it cannot). */
export function planOf(m: Pick<Message, 'Body' | 'MessageAttributes'>): RedrivePlan {
  let body: unknown;
  try {
    body = JSON.parse(m.Body);
  } catch {
    return { kind: 'unknown', why: 'the body is not JSON' };
  }
  if (!isObject(body)) return { kind: 'unknown', why: 'the body is not a JSON object' };
  // Lambda's on-failure destination record.
  const arn = body.requestContext?.functionArn;
  if (typeof arn === 'string' && 'requestPayload' in body)
    return {
      kind: 'invoke',
      functionArn: arn,
      payload: body.requestPayload,
      what: describe(body.requestPayload),
    };
  // An event EventBridge could not deliver to its target (the rule target's dead-letter queue).
  const target = m.MessageAttributes?.TARGET_ARN?.StringValue;
  if (target && typeof body['detail-type'] === 'string')
    return { kind: 'invoke', functionArn: target, payload: body, what: describe(body) };
  return { kind: 'unknown', why: 'neither a Lambda failure record nor an undelivered EventBridge event' };
}

/** Lambda's asynchronous Invoke: resolves once accepted, throws with the reason otherwise. */
export interface Invoker {
  invokeAsync(functionArn: string, payload: unknown): Promise<void>;
}

export function lambdaInvoker(client: LambdaClient): Invoker {
  return {
    async invokeAsync(functionArn, payload) {
      const r = await client.send(
        new InvokeCommand({
          FunctionName: functionArn,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
      if (r.StatusCode !== 202)
        throw new Error(`Lambda answered ${r.StatusCode}${r.FunctionError ? ` (${r.FunctionError})` : ''}`);
    },
  };
}

export interface RedriveResult {
  /** ApproximateNumberOfMessages when it started (visible), and those hidden by another reader. */
  counted: number;
  inFlight: number;
  seen: number;
  redriven: number;
  failed: number;
  unknown: number;
}

export async function redrive(opts: {
  sqs: Sqs;
  invoker: Invoker;
  queueUrl: string;
  dryRun?: boolean;
  max?: number;
  log?: (line: string) => void;
}): Promise<RedriveResult> {
  const { sqs, invoker, queueUrl } = opts;
  const log = opts.log ?? (() => undefined);
  const max = opts.max ?? Number.POSITIVE_INFINITY;
  const attrs = await sqs.call<{ Attributes?: Record<string, string> }>('GetQueueAttributes', {
    QueueUrl: queueUrl,
    AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  });
  const counted = Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0);
  const inFlight = Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  log(
    `${counted} message(s) in the dead-letter queue${inFlight ? ` (and ${inFlight} hidden by another reader: not touched)` : ''}${opts.dryRun ? ' (dry run: nothing is invoked or deleted)' : ''}`,
  );
  const out: RedriveResult = { counted, inFlight, seen: 0, redriven: 0, failed: 0, unknown: 0 };
  // At most what was there when it started: a redriven message that fails again comes back as a new
  // message (after Lambda's retries), for the next run, not for this one to loop on.
  const limit = Math.min(max, counted);
  const done = new Set<string>();
  const listed: string[] = [];
  while (out.seen < limit) {
    const r = await sqs.call<{ Messages?: Message[] }>('ReceiveMessage', {
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(10, limit - out.seen),
      // Long enough to invoke and delete; a message that fails is visible again after it.
      VisibilityTimeout: opts.dryRun ? 30 : 120,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
    });
    // A message seen again (its visibility ran out while this ran) is not redriven twice by this run.
    const batch = (r.Messages ?? []).filter((m) => !done.has(m.MessageId));
    if (batch.length === 0) break;
    for (const m of batch) {
      done.add(m.MessageId);
      out.seen++;
      if (opts.dryRun) listed.push(m.ReceiptHandle);
      const plan = planOf(m);
      if (plan.kind === 'unknown') {
        out.unknown++;
        log(`  ${m.MessageId}: left in the queue: ${plan.why}`);
        continue;
      }
      const fn = plan.functionArn.split(':function:').at(-1);
      if (opts.dryRun) {
        log(`  ${m.MessageId}: would invoke ${fn} again with its ${plan.what}`);
        continue;
      }
      try {
        await invoker.invokeAsync(plan.functionArn, plan.payload);
      } catch (e) {
        out.failed++;
        log(
          `  ${m.MessageId}: left in the queue: invoking ${fn} failed: ${e instanceof Error ? e.message : String(e)}`,
        );
        continue;
      }
      try {
        await sqs.call('DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle });
      } catch (e) {
        // Invoked but still in the queue: a later redrive invokes it again, which changes nothing more.
        out.failed++;
        log(
          `  ${m.MessageId}: ${fn} invoked again, but the delete failed (${e instanceof Error ? e.message : String(e)}): it will be redriven again, harmlessly`,
        );
        continue;
      }
      out.redriven++;
      log(`  ${m.MessageId}: ${fn} invoked again with its ${plan.what}`);
    }
  }
  // A dry run hid what it listed while it listed: visible again now, for the real run.
  if (opts.dryRun)
    for (const handle of listed)
      await sqs.call('ChangeMessageVisibility', {
        QueueUrl: queueUrl,
        ReceiptHandle: handle,
        VisibilityTimeout: 0,
      });
  log(
    opts.dryRun
      ? `${out.seen} listed, ${out.unknown} of an unknown shape`
      : `${out.redriven} redriven, ${out.failed} failed, ${out.unknown} of an unknown shape (left in the queue)`,
  );
  return out;
}

/** The command: its arguments to a redrive, and an exit code. */
export async function main(argv: string[], log = (l: string) => console.log(l)): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'queue-url': { type: 'string' },
        region: { type: 'string' },
        local: { type: 'boolean' },
        url: { type: 'string' },
        'dry-run': { type: 'boolean' },
        max: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    log(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    log(USAGE);
    return 0;
  }
  const max = values.max === undefined ? undefined : Number(values.max);
  if (max !== undefined && !(Number.isInteger(max) && max > 0)) {
    log(`--max must be a whole number above 0, not ${values.max}\n\n${USAGE}`);
    return 2;
  }
  let sqs: Sqs;
  let lambda: LambdaClient;
  let queueUrl: string;
  if (values.local) {
    const url = String(values.url ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
    const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    sqs = sqsClient({ ...local, endpoint: `${url}/` });
    lambda = new LambdaClient({ ...local, endpoint: url });
    queueUrl = `${url}/${LOCAL_DLQ_ACCOUNT}/${LOCAL_DLQ_NAME}`;
  } else {
    const region =
      (values.region as string | undefined) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!values['queue-url'] || !region) {
      log(
        `${!values['queue-url'] ? 'give --queue-url (or --local)' : 'give --region (or set AWS_REGION)'}\n\n${USAGE}`,
      );
      return 2;
    }
    queueUrl = String(values['queue-url']);
    sqs = sqsClient({ region });
    lambda = new LambdaClient({ region });
  }
  try {
    const r = await redrive({
      sqs,
      invoker: lambdaInvoker(lambda),
      queueUrl,
      dryRun: values['dry-run'] === true,
      ...(max !== undefined ? { max } : {}),
      log,
    });
    return r.failed + r.unknown > 0 ? 1 : 0;
  } catch (e) {
    const why =
      e instanceof SqsError
        ? `SQS refused (${e.message}): check --queue-url, the region and that your credentials may sqs:GetQueueAttributes, sqs:ReceiveMessage and sqs:DeleteMessage on it`
        : e instanceof Error &&
            /ECONNREFUSED|fetch failed/.test(`${e.message} ${String((e as { cause?: unknown }).cause)}`)
          ? `cannot reach ${values.local ? (values.url ?? 'http://127.0.0.1:3000') : 'SQS'}: ${values.local ? 'is npm start running?' : e.message}`
          : `${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    log(`redrive stopped: ${why}`);
    return 1;
  } finally {
    lambda.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
