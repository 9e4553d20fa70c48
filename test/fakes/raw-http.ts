import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
  /** The whole answer as it came over the socket (status line, headers, body). */
  raw: string;
}

/** Decodes a chunked transfer-encoded body. */
function unchunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * Sends bytes as they are over a TCP socket and reads the answer until the server closes: no URL
 * normalisation (fetch would resolve `..`), no header validation, no encoding, so a test can send
 * what a hostile client would. Ask for `Connection: close` (or rely on the server closing) or the
 * read ends at `timeoutMs`, rejecting.
 */
export function rawRequest(url: string, request: string | Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((ok, fail) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return fail(new Error(`no HTTP answer: ${JSON.stringify(all.toString('latin1'))}`));
      const [statusLine, ...lines] = all.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const rest = all.subarray(end + 4);
      const body = headers['transfer-encoding']?.includes('chunked') ? unchunk(rest) : rest;
      ok({
        status: Number(statusLine!.split(' ')[1]),
        headers,
        body: body.toString('utf8'),
        raw: all.toString('utf8'),
      });
    });
    socket.write(request);
  });
}

/** A GET of this exact request-target, with `Connection: close`. */
export const rawGet = (url: string, target: string, extra = '') =>
  rawRequest(url, `GET ${target} HTTP/1.1\r\nHost: localhost\r\n${extra}Connection: close\r\n\r\n`);
