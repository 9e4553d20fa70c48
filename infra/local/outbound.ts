// Contact that Retention Desk starts, on one machine: the account event bus's outbox events, a
// stand-in for Amazon Connect's outbound APIs, and EventBridge Scheduler's one-time schedules.

import { appendFileSync } from 'node:fs';
import type { OutboundDialer, OutboundScheduler } from '../../shared/application/outbound';
import { EVENT_SOURCE, type EventPublisher } from '../../shared/application/publish';
import { authorize } from '../../shared/channels/authz';
import { type HttpRequest, type HttpResponse, json } from '../../shared/channels/http-response';
import { maskPhone, type OutboundRequest } from '../../shared/domain/outbound';
import type { OutboxEvent } from '../../shared/domain/outbox';

/** What the stand-in was asked to start: the number masked, never in clear. */
export interface DialRecord {
  kind: 'VOICE' | 'TASK';
  contactId: string;
  clientToken: string;
  /** VOICE: the number dialled, masked (+1•••••••23). */
  to?: string;
  name?: string;
  attributes: Record<string, string>;
  at: string;
}

/**
 * Connect's StartOutboundVoiceContact and StartTaskContact as they behave for a client token: the
 * same token starts one contact and answers its id again. Records what would be dialled (masked).
 */
export class LocalConnect implements OutboundDialer {
  readonly calls: DialRecord[] = [];
  private readonly byToken = new Map<string, string>();
  constructor(private readonly file?: string) {}
  private record(r: Omit<DialRecord, 'contactId' | 'at'>): string {
    const known = this.byToken.get(r.clientToken);
    if (known) return known;
    const contactId = `local-${r.kind.toLowerCase()}-${this.calls.length + 1}`;
    this.byToken.set(r.clientToken, contactId);
    const rec = { ...r, contactId, at: new Date().toISOString() };
    this.calls.push(rec);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
    return contactId;
  }
  async startVoice(r: { clientToken: string; phone: string; attributes: Record<string, string> }) {
    return this.record({
      kind: 'VOICE',
      clientToken: r.clientToken,
      to: maskPhone(r.phone),
      attributes: r.attributes,
    });
  }
  async startTask(r: {
    clientToken: string;
    name: string;
    description: string;
    attributes: Record<string, string>;
  }) {
    return this.record({ kind: 'TASK', clientToken: r.clientToken, name: r.name, attributes: r.attributes });
  }
}

/** One-time schedules: kept until due; `fireDue(now)` runs those due (a timer calls it each minute). */
export class LocalScheduler implements OutboundScheduler {
  readonly pending = new Map<string, { request: OutboundRequest; at: string }>();
  constructor(private run: (r: OutboundRequest) => Promise<unknown> = async () => undefined) {}
  setRunner(run: (r: OutboundRequest) => Promise<unknown>) {
    this.run = run;
  }
  async defer(r: OutboundRequest, at: string) {
    if (!this.pending.has(r.id)) this.pending.set(r.id, { request: r, at });
  }
  async fireDue(now: string): Promise<number> {
    const due = [...this.pending.entries()].filter(([, p]) => Date.parse(p.at) <= Date.parse(now));
    for (const [id, p] of due) {
      this.pending.delete(id);
      await this.run(p.request);
    }
    return due.length;
  }
}

/**
 * The account event bus as Retention Desk publishes on it: every event kept in order of delivery
 * (at least once: a consumer drops duplicates by `id`), and its one rule applied ("Outbound Contact
 * Requested" to StartOutbound). In a data folder, events are appended to events.jsonl.
 */
export class LocalEventBus implements EventPublisher {
  readonly delivered: Array<{ source: string; 'detail-type': string; detail: Record<string, unknown> }> = [];
  constructor(
    private readonly onRequested: (event: unknown) => Promise<unknown>,
    private readonly file?: string,
  ) {}
  async publish(events: readonly OutboxEvent[]): Promise<void> {
    for (const e of events) {
      const event = {
        version: '0',
        id: e.id,
        source: EVENT_SOURCE,
        'detail-type': e.type,
        time: e.at,
        detail: { id: e.id, at: e.at, ...e.detail },
      };
      this.delivered.push(event);
      if (this.file) appendFileSync(this.file, `${JSON.stringify(event)}\n`, { mode: 0o600 });
      // EventBridge invokes the rule's target asynchronously: a failure there is the target's, not the publisher's.
      if (e.type === 'Outbound Contact Requested') await this.onRequested(event).catch(() => undefined);
    }
  }
}

/**
 * `GET /outbound.json` (ops and product owners, as the funnel): what the Connect stand-in started
 * (numbers masked), the requests deferred to the end of quiet hours, and the outbound results on the bus.
 */
export function outboundRoutes(
  connect: LocalConnect,
  scheduler: LocalScheduler,
  bus: LocalEventBus,
  authenticate: (event: HttpRequest) => Promise<HttpRequest | HttpResponse>,
): Record<string, (headers: Record<string, string>) => Promise<HttpResponse>> {
  return {
    '/outbound.json': async (headers) => {
      const event: HttpRequest = {
        httpMethod: 'GET',
        resource: '/outbound.json',
        path: '/outbound.json',
        pathParameters: null,
        headers,
        body: null,
      };
      const authenticated = await authenticate(event);
      if ('statusCode' in authenticated) return authenticated;
      const allowed = authorize(authenticated, 'strategyFunnel');
      if (!allowed.ok) return allowed.response;
      return json(200, {
        started: connect.calls,
        deferred: [...scheduler.pending.values()].map((p) => ({ ...p.request, until: p.at })),
        results: bus.delivered
          .filter((e) => e['detail-type'].startsWith('Outbound '))
          .map((e) => ({ type: e['detail-type'], ...e.detail })),
      });
    },
  };
}
