import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type CryptoKey,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import * as z from 'zod';
import { type HttpRequest, type HttpResponse, problemResponse } from '../../shared/channels/http';
import { type Role, RoleSchema } from '../../shared/schemas/identity';

/**
 * The local stand-in for the Cognito user pool and API Gateway's Cognito authorizer. `npm start`
 * makes an ES256 key pair (per run, or kept in the data folder), signs ID-token-shaped JWTs with it
 * (`npm run token`), and verifies the `Authorization` header of every /v1 request with jose before
 * the handler runs, putting the claims where API Gateway puts them: `requestContext.authorizer.claims`.
 *
 * How `npm run token` reaches the key: `npm start` writes it to a file only its user can read
 * (`~/.retention-desk/issuer-<port>.json`, mode 600 in a mode-700 folder; RD_STATE_DIR moves the
 * folder), removed when it stops. A token endpoint on loopback would let any local user, or any web
 * page the browser opens (a POST needs no CORS preflight), mint a supervisor's token; a file is
 * guarded by the operating system's permissions.
 */
export const LOCAL_ISSUER = 'https://retention-desk.local/issuer';
/** The app client id a Cognito ID token carries as `aud`: the agent desktop. */
export const LOCAL_AUDIENCE = 'retention-desk-desktop';
const ALG = 'ES256';

const KeyFileSchema = z.object({
  issuer: z.literal(LOCAL_ISSUER),
  audience: z.literal(LOCAL_AUDIENCE),
  kid: z.string(),
  privateJwk: z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), d: z.string() }).loose(),
  url: z.string().optional(),
});
type KeyFile = z.infer<typeof KeyFileSchema>;

/** Where the local state lives (issuer keys of running stacks). */
export const stateDir = () => process.env.RD_STATE_DIR ?? join(homedir(), '.retention-desk');
/** The key file of the stack serving on this port. */
export const issuerKeyPath = (port: number | string) => join(stateDir(), `issuer-${port}.json`);

/** Writes a secret file readable by this user only: created aside at mode 600, then renamed into place. */
function writePrivate(file: string, text: string) {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const dir = lstatSync(dirname(file));
  if (!dir.isDirectory()) throw new Error(`${dirname(file)} is not a folder`);
  if (typeof process.getuid === 'function' && dir.uid !== process.getuid())
    throw new Error(`${dirname(file)} belongs to another user: refusing to keep a signing key there`);
  chmodSync(dirname(file), 0o700);
  const draft = `${file}.${process.pid}.${randomUUID()}`;
  writeFileSync(draft, text, { mode: 0o600, flag: 'wx' });
  renameSync(draft, file);
}

export interface TokenRequest {
  roles: readonly Role[];
  /** The username (`cognito:username`); the `sub` is derived from it, so one user keeps one `sub`. */
  user?: string;
  /** Lifetime in seconds (default one hour, as the desktop client's). Negative: already expired. */
  ttlSeconds?: number;
  now?: Date;
}

/** The `sub` of a local user: a UUID derived from the username (Cognito's are random, but stable per user). */
export function localSub(user: string): string {
  const h = createHash('sha256').update(`retention-desk-local:${user}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class LocalIssuer {
  private constructor(
    private readonly key: KeyFile,
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
  ) {}

  /** A new key pair, or the one kept in `keyFile` (created there, mode 600, when missing). */
  static async create(opts: { keyFile?: string } = {}): Promise<LocalIssuer> {
    if (opts.keyFile) {
      let text: string | undefined;
      try {
        text = readFileSync(opts.keyFile, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      if (text !== undefined) return LocalIssuer.fromKeyFile(KeyFileSchema.parse(JSON.parse(text)));
      const issuer = await LocalIssuer.generate();
      writePrivate(opts.keyFile, issuer.keyFileText());
      return issuer;
    }
    return LocalIssuer.generate();
  }

  private static async generate(): Promise<LocalIssuer> {
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    const jwk = await exportJWK(privateKey);
    return LocalIssuer.fromKeyFile({
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      kid: randomUUID(),
      privateJwk: jwk as KeyFile['privateJwk'],
    });
  }

  private static async fromKeyFile(key: KeyFile): Promise<LocalIssuer> {
    const { d: _d, ...publicJwk } = key.privateJwk;
    const privateKey = (await importJWK(key.privateJwk as JWK, ALG)) as CryptoKey;
    const publicKey = (await importJWK(publicJwk as JWK, ALG)) as CryptoKey;
    return new LocalIssuer(key, privateKey, publicKey);
  }

  /** Reads the key file a running `npm start` wrote (see issuerKeyPath). */
  static async fromFile(file: string): Promise<LocalIssuer> {
    return LocalIssuer.fromKeyFile(KeyFileSchema.parse(JSON.parse(readFileSync(file, 'utf8'))));
  }

  private keyFileText(url?: string) {
    return `${JSON.stringify({ ...this.key, ...(url ? { url } : {}) })}\n`;
  }

  /** Publishes the key for `npm run token` (mode 600); returns a function that removes it. */
  publish(file: string, url: string): () => void {
    writePrivate(file, this.keyFileText(url));
    return () => rmSync(file, { force: true });
  }

  /** An ID token as Cognito would issue it for a user in these groups. */
  async sign(req: TokenRequest): Promise<string> {
    const user = req.user ?? req.roles[0] ?? 'nobody';
    const now = Math.floor((req.now ?? new Date()).getTime() / 1000);
    return new SignJWT({
      'cognito:username': user,
      'cognito:groups': [...req.roles],
      token_use: 'id',
      auth_time: now,
    })
      .setProtectedHeader({ alg: ALG, kid: this.key.kid, typ: 'JWT' })
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setSubject(localSub(user))
      .setIssuedAt(now)
      .setExpirationTime(now + (req.ttlSeconds ?? 3600))
      .setJti(randomUUID())
      .sign(this.privateKey);
  }

  /** Verifies a token as the Cognito authorizer does: signature, issuer, audience, expiry, an ID token. */
  async verify(
    token: string,
  ): Promise<{ ok: true; claims: Record<string, unknown> } | { ok: false; detail: string }> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: LOCAL_ISSUER,
        audience: LOCAL_AUDIENCE,
        algorithms: [ALG],
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      if (payload.token_use !== 'id') return { ok: false, detail: 'Not an ID token (token_use must be id).' };
      return { ok: true, claims: payload };
    } catch (e) {
      if (e instanceof errors.JWTExpired) return { ok: false, detail: 'The token has expired.' };
      if (e instanceof errors.JWSSignatureVerificationFailed)
        return { ok: false, detail: 'The token signature is invalid.' };
      if (e instanceof errors.JWTClaimValidationFailed)
        return { ok: false, detail: `The token's ${e.claim} claim is not accepted.` };
      return { ok: false, detail: 'The token is malformed or not signed by this issuer.' };
    }
  }

  /**
   * The authorizer's emulation: a verified token's claims at `requestContext.authorizer.claims`, as
   * strings the way API Gateway REST passes them (`cognito:groups` comma-separated); otherwise a 401.
   */
  async authorize(event: HttpRequest): Promise<HttpRequest | HttpResponse> {
    const key = Object.keys(event.headers ?? {}).find((k) => k.toLowerCase() === 'authorization');
    const value = key === undefined ? undefined : event.headers?.[key];
    if (!value) return unauthorized('Send Authorization: Bearer <token> (npm run token -- --role agent).');
    const token = value.replace(/^Bearer\s+/i, '').trim();
    const r = await this.verify(token);
    if (!r.ok) return unauthorized(r.detail);
    const claims = Object.fromEntries(
      Object.entries(r.claims).map(([k, v]) => [
        k,
        Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : JSON.stringify(v),
      ]),
    );
    return { ...event, requestContext: { authorizer: { claims } } };
  }
}

const unauthorized = (detail: string): HttpResponse => ({
  ...problemResponse(401, 'unauthenticated', 'Missing, invalid or expired token', detail),
});

/** `--role a,b` as roles, each checked. */
export function parseRoles(text: string): Role[] {
  const roles = text
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (roles.length === 0) throw new Error('--role needs at least one role');
  return roles.map((r) => {
    const ok = RoleSchema.safeParse(r);
    if (!ok.success)
      throw new Error(`unknown role ${JSON.stringify(r)}: one of ${RoleSchema.options.join(', ')}`);
    return ok.data;
  });
}

/**
 * The token a command of the project sends: `--token`, else env RD_TOKEN, else one it mints with the
 * key of the `npm start` serving `url` (readable only by the user who started it) for `roles`.
 */
export async function tokenFor(opts: {
  url: string;
  token?: string | undefined;
  roles: readonly Role[];
  user?: string;
}): Promise<string> {
  const given = opts.token ?? process.env.RD_TOKEN;
  if (given) return given;
  const port = new URL(opts.url).port || '80';
  const file = process.env.RD_ISSUER_KEY ?? issuerKeyPath(port);
  let issuer: LocalIssuer;
  try {
    issuer = await LocalIssuer.fromFile(file);
  } catch {
    throw new Error(
      `No token: give --token or RD_TOKEN (e.g. RD_TOKEN=$(npm run -s token -- --role ${opts.roles.join(',')})), or run this as the user of the \`npm start\` on ${opts.url} (its key ${file} was not readable).`,
    );
  }
  return issuer.sign({ roles: opts.roles, ...(opts.user ? { user: opts.user } : {}) });
}

/** Help text shared by the commands that call the API. */
export const TOKEN_HELP = `  --token JWT     the bearer token to send (default: env RD_TOKEN). With neither, the command mints
                  one itself with the key of the local \`npm start\` on --url, if this user can read it
                  (~/.retention-desk/issuer-<port>.json); on AWS give a Cognito ID token.`;
