import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from '../ports';

/** The S3 SDK, loaded on first use: importing it costs tens of ms of a cold start. */
const sdk = () => import('./sdk/s3');

/** One bucket as an ObjectStore: objects are streamed line by line, never held whole. */
export class S3ObjectStore implements ObjectStore {
  constructor(
    /** A client, or a factory of one (`s3Client()`) so the SDK loads on the first request. */
    private readonly s3: S3Client | (() => Promise<S3Client>),
    private readonly bucket: string,
  ) {}

  private client(): S3Client | Promise<S3Client> {
    return typeof this.s3 === 'function' ? this.s3() : this.s3;
  }

  async *lines(key: string): AsyncIterable<string> {
    const [{ GetObjectCommand }, s3] = await Promise.all([sdk(), this.client()]);
    const out = await s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const body = out.Body as Readable | undefined;
    if (!body) return;
    body.setEncoding('utf8');
    yield* createInterface({ input: body, crlfDelay: Number.POSITIVE_INFINITY });
  }

  async put(key: string, body: string, contentType: string): Promise<void> {
    const [{ PutObjectCommand }, s3] = await Promise.all([sdk(), this.client()]);
    await s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }
}

/** An S3 client made on first use, once per store: the SDK is not loaded at init. */
export function s3Client(): () => Promise<S3Client> {
  let client: Promise<S3Client> | undefined;
  return () => {
    client ??= sdk().then(({ S3Client }) => new S3Client({}));
    return client;
  };
}
