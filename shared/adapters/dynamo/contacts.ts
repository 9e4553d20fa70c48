import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ContactStore } from '../../ports';
import { type Contact, ContactSchema } from '../../schemas/contact';
import { guard } from './client';

export class DynamoContactStore implements ContactStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}
  async get(contactId: string): Promise<Contact | undefined> {
    const r = await guard(() =>
      this.db.send(new GetCommand({ TableName: this.table, Key: { contactId }, ConsistentRead: true })),
    );
    return r.Item ? ContactSchema.parse(r.Item) : undefined;
  }
}
