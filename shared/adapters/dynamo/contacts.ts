import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ContactStore } from '../../ports';
import { type Contact, ContactSchema } from '../../schemas/contact';
import { guard } from './client';

/** Contacts are kept this long after their last change: DynamoDB's TTL deletes them (`expiresAt`). */
export const CONTACT_TTL_DAYS = 30;

/** The contact as stored: the contact, and when DynamoDB may delete it (epoch seconds). */
export function contactItem(c: Contact): Contact & { expiresAt: number } {
  return { ...c, expiresAt: Math.floor(Date.parse(c.updatedAt) / 1000) + CONTACT_TTL_DAYS * 86_400 };
}

/** The contact of a stored item (its storage-only attributes left out). */
export function contactOf(item: Record<string, unknown>): Contact {
  const { expiresAt: _ttl, ...contact } = item;
  return ContactSchema.parse(contact);
}

export class DynamoContactStore implements ContactStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}
  async get(contactId: string): Promise<Contact | undefined> {
    const r = await guard(() =>
      this.db.send(new GetCommand({ TableName: this.table, Key: { contactId }, ConsistentRead: true })),
    );
    return r.Item ? contactOf(r.Item) : undefined;
  }
}
