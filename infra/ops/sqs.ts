import { createHash, createHmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * The few SQS calls an operations command makes, over SQS's JSON protocol (`X-Amz-Target:
 * AmazonSQS.<op>`), signed with Signature V4. Why not @aws-sdk/client-sqs: it is not a dependency of
 * this project; the signer and the credential chain are (through the SDK clients we have), and four
 * calls do not need a generated client. Locally the endpoint is `npm start`'s (dead-letters.ts).
 */
export interface Sqs {
  call<T = Record<string, unknown>>(op: string, body: Record<string, unknown>): Promise<T>;
}

export class SqsError extends Error {
  override name = 'SqsError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
  }
}

/** node:crypto as the signer's hash (what @aws-crypto/sha256-js would be, without the package). */
type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Data) =>
  typeof d === 'string'
    ? d
    : d instanceof ArrayBuffer
      ? new Uint8Array(d)
      : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
class Sha256 {
  private readonly h;
  constructor(secret?: Data) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: Data) {
    this.h.update(bytes(data));
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
  reset() {}
}

export function sqsClient(opts: {
  region: string;
  /** Default: `https://sqs.<region>.amazonaws.com/`. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  fetch?: typeof fetch;
}): Sqs {
  const endpoint = new URL(opts.endpoint ?? `https://sqs.${opts.region}.amazonaws.com/`);
  const signer = new SignatureV4({
    service: 'sqs',
    region: opts.region,
    credentials: opts.credentials ?? defaultProvider(),
    sha256: Sha256,
  });
  const send = opts.fetch ?? fetch;
  return {
    async call<T>(op: string, input: Record<string, unknown>): Promise<T> {
      const body = JSON.stringify(input);
      const signed = await signer.sign({
        method: 'POST',
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
        path: endpoint.pathname,
        query: {},
        headers: {
          host: endpoint.host,
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `AmazonSQS.${op}`,
        },
        body,
      });
      const res = await send(endpoint, { method: 'POST', headers: signed.headers, body });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        throw new SqsError('BadResponse', `SQS answered ${res.status} with no JSON`, res.status);
      }
      if (!res.ok) {
        const code = String(json.__type ?? res.status)
          .split('#')
          .at(-1)!;
        throw new SqsError(code, String(json.message ?? json.Message ?? 'no message'), res.status);
      }
      return json as T;
    },
  };
}
