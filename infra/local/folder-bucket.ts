import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ObjectStore } from '../../shared/ports';

/** A folder standing in for the import bucket (there is no S3 here): keys are relative paths. */
export class FolderObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  lines(key: string): AsyncIterable<string> {
    return createInterface({
      input: createReadStream(join(this.root, key), 'utf8'),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
  }

  async put(key: string, body: string, _contentType?: string): Promise<void> {
    const file = join(this.root, key);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, body);
  }
}

/** The notification S3 sends for a new object (keys URL-encoded, spaces as `+`). */
export const s3Event = (bucket: string, ...keys: string[]) => ({
  Records: keys.map((key) => ({
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: '2026-11-23T06:00:00.000Z',
    eventName: 'ObjectCreated:Put',
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
      object: { key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'), size: 1 },
    },
  })),
});
