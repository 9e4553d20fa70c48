import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destinationRecord } from '../../infra/local/dead-letters';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { main, planOf } from '../../infra/ops/redrive';
import { ACCOUNT_CHANGE_DETAIL_TYPE } from '../../shared/application/feed';
import { localClient } from '../fakes/local-client';

/**
 * `npm run redrive` against the local stack's dead-letter queue (SQS's JSON protocol on npm start):
 * an account change whose delivery failed is dead-lettered, listed by a dry run (which leaves it
 * there), then invoked again on AccountEvents and deleted; what cannot be redriven stays, with why.
 */
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, accounts: 0 });
});
afterAll(async () => stack?.stop());
const { account } = localClient(() => stack);

const run = async (...args: string[]) => {
  const lines: string[] = [];
  const code = await main(['--local', '--url', stack.url, ...args], (l) => lines.push(l));
  return { code, out: lines.join('\n') };
};

describe('npm run redrive (local)', () => {
  it('an account change that failed is dead-lettered, listed by --dry-run, then redriven once and applied', async () => {
    const accountId = stack.personas[0]!.persona.accountId;
    expect((await account(accountId))?.flags.fraudHold).toBeFalsy();
    const bus = new EventBridgeClient({
      endpoint: stack.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // DynamoDB is down while the event is delivered: AccountEvents fails, the event goes to the queue.
    stack.faults.fail('InternalServerError');
    try {
      const put = await bus.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: 'issuer.core-banking',
              DetailType: ACCOUNT_CHANGE_DETAIL_TYPE,
              Detail: JSON.stringify({ type: 'FRAUD_HOLD_SET', accountId, asOf: new Date().toISOString() }),
            },
          ],
        }),
      );
      expect(put.FailedEntryCount).toBe(0);
    } finally {
      stack.faults.reset();
      bus.destroy();
    }
    expect(stack.deadLetters.count()).toEqual({ visible: 1, notVisible: 0 });
    expect((await account(accountId))?.flags.fraudHold).toBeFalsy();

    const dry = await run('--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/^1 message\(s\) in the dead-letter queue \(dry run/);
    expect(dry.out).toMatch(
      /would invoke account-events:\$LATEST again with its event .* \(Account Change\)/,
    );
    expect(stack.deadLetters.count()).toEqual({ visible: 1, notVisible: 0 });
    expect((await account(accountId))?.flags.fraudHold).toBeFalsy();
    // No customer data in what it prints.
    expect(dry.out).not.toContain(accountId);

    const real = await run();
    expect(real.code, real.out).toBe(0);
    expect(real.out).toContain('1 redriven, 0 failed, 0 of an unknown shape');
    expect(stack.deadLetters.count()).toEqual({ visible: 0, notVisible: 0 });
    // The invoke is asynchronous (202, as on AWS): applied soon after.
    await expect.poll(async () => (await account(accountId))?.flags.fraudHold, { timeout: 5_000 }).toBe(true);
    // Again: nothing left, nothing done.
    expect((await run()).out).toContain('0 message(s)');
  });

  it('leaves what it cannot redrive in the queue, says why, and exits 1', async () => {
    stack.deadLetters.send('not json');
    stack.deadLetters.send(
      JSON.stringify(destinationRecord('no-such-function', { id: 'x' }, new Error('boom'))),
    );
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.out).toContain('left in the queue: the body is not JSON');
    expect(r.out).toMatch(/left in the queue: invoking no-such-function:\$LATEST failed: .*not found/i);
    expect(r.out).toContain('0 redriven, 1 failed, 1 of an unknown shape');
    expect(stack.deadLetters.all()).toHaveLength(2);
    stack.deadLetters.clear();
  });

  it('a redriven event that fails again goes back to the queue (as an async invoke would)', async () => {
    const accountId = stack.personas[1]!.persona.accountId;
    const event = {
      version: '0',
      id: 'evt-again',
      'detail-type': ACCOUNT_CHANGE_DETAIL_TYPE,
      source: 'issuer.core-banking',
      account: '000000000000',
      time: '2026-11-23T09:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { type: 'FRAUD_HOLD_SET', accountId, asOf: new Date().toISOString() },
    };
    stack.deadLetters.deadLetter('account-events', event, new Error('x'));
    const first = stack.deadLetters.all()[0]!.MessageId;
    stack.faults.fail('InternalServerError');
    try {
      expect((await run()).out).toContain('1 redriven');
      // Accepted (202), then failed: back in the queue as a new message.
      await expect.poll(() => stack.deadLetters.all().length, { timeout: 5_000 }).toBe(1);
    } finally {
      stack.faults.reset();
    }
    const again = stack.deadLetters.all();
    expect(again).toHaveLength(1);
    expect(again[0]!.MessageId).not.toBe(first);
    expect((await run()).code).toBe(0);
    await expect.poll(async () => (await account(accountId))?.flags.fraudHold, { timeout: 5_000 }).toBe(true);
  });

  it('clear errors: no queue given, a bad --max, no local stack', async () => {
    const lines: string[] = [];
    const env = { ...process.env };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      expect(await main([], (l) => lines.push(l))).toBe(2);
      expect(lines.join('\n')).toContain('give --queue-url (or --local)');
      expect(await main(['--queue-url', 'https://sqs.x/1/q'], (l) => lines.push(l))).toBe(2);
      expect(lines.join('\n')).toContain('give --region');
    } finally {
      process.env = env;
    }
    expect((await run('--max', '0')).code).toBe(2);
    const down: string[] = [];
    expect(await main(['--local', '--url', 'http://127.0.0.1:1'], (l) => down.push(l))).toBe(1);
    expect(down.join('\n')).toContain('is npm start running?');
  });

  it.each([
    [
      'an import file (Lambda failure record of an S3 notification)',
      destinationRecord(
        'import-accounts',
        { Records: [{ s3: { bucket: { name: 'b' }, object: { key: 'incoming/a+b.jsonl' } } }] },
        new Error(),
      ),
      undefined,
      'file s3://b/incoming/a+b.jsonl',
    ],
    [
      'an event EventBridge could not deliver (rule target DLQ, TARGET_ARN attribute)',
      { id: 'e-1', 'detail-type': 'Account Change', detail: {} },
      { TARGET_ARN: { StringValue: 'arn:aws:lambda:eu-west-1:1:function:account-events' } },
      'event e-1 (Account Change)',
    ],
  ])('knows %s', (_n, body, attrs, what) => {
    expect(
      planOf({ Body: JSON.stringify(body), ...(attrs ? { MessageAttributes: attrs } : {}) }),
    ).toMatchObject({
      kind: 'invoke',
      what,
    });
  });
});
