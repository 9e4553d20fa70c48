import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../shared/adapters/s3';

/**
 * The S3 adapter against a stand-in client (there is no S3 here): what it asks for, and how it turns
 * the object's byte stream into lines.
 */
function fakeS3(chunks: Buffer[]) {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      sent.push(command);
      if (command instanceof GetObjectCommand) return { Body: Readable.from(chunks) };
      return {};
    },
  } as unknown as S3Client;
  return { client, sent };
}

describe('S3ObjectStore', () => {
  it('streams an object as lines, even when a chunk ends inside a line or inside a UTF-8 character', async () => {
    const text = 'first Zoë\r\n{"name":"李小龙"}\nlast';
    const bytes = Buffer.from(text, 'utf8');
    // Cut inside "ë" (2 bytes) and inside "李" (3 bytes).
    const cuts = [bytes.indexOf(Buffer.from('ë')) + 1, bytes.indexOf(Buffer.from('李')) + 2];
    const chunks = [bytes.subarray(0, cuts[0]), bytes.subarray(cuts[0], cuts[1]), bytes.subarray(cuts[1])];
    const { client, sent } = fakeS3(chunks);
    const lines: string[] = [];
    for await (const l of new S3ObjectStore(client, 'the-bucket').lines('incoming/a.jsonl')) lines.push(l);
    expect(lines).toEqual(['first Zoë', '{"name":"李小龙"}', 'last']);
    expect((sent[0] as GetObjectCommand).input).toEqual({ Bucket: 'the-bucket', Key: 'incoming/a.jsonl' });
  });

  it('puts a report with its content type, in its bucket', async () => {
    const { client, sent } = fakeS3([]);
    await new S3ObjectStore(client, 'the-bucket').put('reports/a.json', '{}\n', 'application/json');
    expect(sent[0]).toBeInstanceOf(PutObjectCommand);
    expect((sent[0] as PutObjectCommand).input).toEqual({
      Bucket: 'the-bucket',
      Key: 'reports/a.json',
      Body: '{}\n',
      ContentType: 'application/json',
    });
  });
});
