/** The parts of an API Gateway (REST, proxy) event the API reads; the local server builds the same. */
export interface HttpRequest {
  httpMethod: string;
  resource: string;
  path: string;
  pathParameters: Record<string, string | undefined> | null;
  headers: Record<string, string | undefined> | null;
  body: string | null;
  isBase64Encoded?: boolean;
  /** The query, decoded: API Gateway's last value of each parameter, and every value of each. */
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  /** API Gateway's Cognito authorizer puts the verified token's claims here (the local server too). */
  requestContext?: { authorizer?: { claims?: unknown } | null } | null;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export const PROBLEM_BASE = 'https://retention-desk.example/problems/';

export function json(
  statusCode: number,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...extraHeaders },
    body: JSON.stringify(body),
  };
}

export function problemResponse(
  status: number,
  slug: string,
  title: string,
  detail: string,
  extensions: Record<string, unknown> = {},
): HttpResponse {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
    body: JSON.stringify({ type: PROBLEM_BASE + slug, title, status, detail, ...extensions }),
  };
}
