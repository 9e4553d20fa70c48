// Who changed what (catalog table).

import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry, AuditLog } from '../../ports';
import { guard } from './client';

/** An audit entry as the catalog table stores it (also written inside another transaction: the kill switch). */
export const auditItem = (e: AuditEntry) => ({
  pk: `AUDIT#${e.at.slice(0, 7)}`,
  sk: `${e.at}#${randomUUID()}`,
  ...e,
});

/**
 * Who changed what, in the catalog table beside the configuration it concerns: one item per change
 * under `AUDIT#<month>` (a partition per month keeps none growing without bound), sorted by time.
 */
export class DynamoAuditLog implements AuditLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}
  async record(e: AuditEntry): Promise<void> {
    await guard(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: auditItem(e),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }
  /** The changes of one month, oldest first (the admin API's audit route, tests, support). */
  async month(yyyyMm: string): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await guard(() =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `AUDIT#${yyyyMm}` },
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const { pk: _pk, sk: _sk, ...e } of r.Items ?? []) out.push(e as AuditEntry);
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
