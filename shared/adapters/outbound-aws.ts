// The AWS side of contact that Retention Desk starts: EventBridge, Amazon Connect, EventBridge Scheduler.

import {
  ConnectClient,
  StartOutboundVoiceContactCommand,
  StartTaskContactCommand,
} from '@aws-sdk/client-connect';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { OutboundDialer, OutboundScheduler } from '../application/outbound';
import { EVENT_SOURCE, type EventPublisher } from '../application/publish';
import type { OutboundRequest } from '../domain/outbound';
import type { OutboxEvent } from '../domain/outbox';

/** PutEvents, ten at a time; an entry refused fails the batch (redelivered whole: consumers drop duplicates by `id`). */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}
  async publish(events: readonly OutboxEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 10) {
      const chunk = events.slice(i, i + 10);
      const r = await this.client.send(
        new PutEventsCommand({
          Entries: chunk.map((e) => ({
            EventBusName: this.busName,
            Source: EVENT_SOURCE,
            DetailType: e.type,
            Time: new Date(e.at),
            Detail: JSON.stringify({ id: e.id, at: e.at, ...e.detail }),
          })),
        }),
      );
      if ((r.FailedEntryCount ?? 0) > 0)
        throw new Error(
          `PutEvents refused ${r.FailedEntryCount} of ${chunk.length}: ${r.Entries?.find((x) => x.ErrorCode)?.ErrorCode}`,
        );
    }
  }
}

/** Amazon Connect's outbound APIs, scoped to one instance and its outbound flows. */
export class ConnectDialer implements OutboundDialer {
  constructor(
    private readonly client: ConnectClient,
    private readonly cfg: {
      instanceId: string;
      voiceFlowId: string;
      taskFlowId: string;
      queueId?: string;
      sourcePhone?: string;
    },
  ) {}
  async startVoice(r: { clientToken: string; phone: string; attributes: Record<string, string> }) {
    const out = await this.client.send(
      new StartOutboundVoiceContactCommand({
        InstanceId: this.cfg.instanceId,
        ContactFlowId: this.cfg.voiceFlowId,
        DestinationPhoneNumber: r.phone,
        ClientToken: r.clientToken,
        Attributes: r.attributes,
        ...(this.cfg.queueId ? { QueueId: this.cfg.queueId } : {}),
        ...(this.cfg.sourcePhone ? { SourcePhoneNumber: this.cfg.sourcePhone } : {}),
      }),
    );
    return out.ContactId!;
  }
  async startTask(r: {
    clientToken: string;
    name: string;
    description: string;
    attributes: Record<string, string>;
  }) {
    const out = await this.client.send(
      new StartTaskContactCommand({
        InstanceId: this.cfg.instanceId,
        ContactFlowId: this.cfg.taskFlowId,
        Name: r.name.slice(0, 512),
        Description: r.description.slice(0, 4096),
        ClientToken: r.clientToken,
        Attributes: r.attributes,
      }),
    );
    return out.ContactId!;
  }
}

/** A one-time schedule per deferred request (named by its id: a second deferral of it is the same one). */
export class SchedulerDefer implements OutboundScheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly cfg: { functionArn: () => string; roleArn: string; group?: string },
  ) {}
  async defer(r: OutboundRequest, at: string): Promise<void> {
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: `outbound-${r.id}`.slice(0, 64),
          ...(this.cfg.group ? { GroupName: this.cfg.group } : {}),
          ScheduleExpression: `at(${at.slice(0, 19)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.cfg.functionArn(),
            RoleArn: this.cfg.roleArn,
            Input: JSON.stringify({ deferred: r }),
            RetryPolicy: { MaximumRetryAttempts: 3 },
          },
        }),
      );
    } catch (e) {
      if (!(e instanceof ConflictException)) throw e;
    }
  }
}

export { ConnectClient, EventBridgeClient, SchedulerClient };
