import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../shared/schemas/openapi';

/**
 * Checks one answer of the REST API v1 against its OpenAPI document (shared/schemas/openapi.ts): the
 * status is one the operation documents, and the body validates against that status's schema. The
 * local client runs it on every answer of the end-to-end suite, so a handler that answers what the
 * document does not say fails the test that met it. Paths the document has no operation for (the
 * admin API, an unknown path, a method not served) are not checked here.
 */
type Json = Record<string, any>;
const doc = openApiDocument() as Json;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'openapi', components: doc.components } as never);
const compiled = new Map<string, ValidateFunction>();

const templates = Object.keys(doc.paths).map((resource) => ({
  resource,
  literal: !resource.includes('{'),
  re: new RegExp(`^${resource.replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

/** The document's path for a request path: a literal resource wins over a template (as API Gateway's). */
export function documentedResource(path: string): string | undefined {
  const p = path.split('?')[0]!;
  return (templates.find((t) => t.literal && t.re.test(p)) ?? templates.find((t) => t.re.test(p)))?.resource;
}

export function checkAnswer(
  method: string,
  path: string,
  status: number,
  contentType: string,
  body: unknown,
) {
  const resource = documentedResource(path);
  if (!resource) return;
  const operation = doc.paths[resource][method.toLowerCase()] as Json | undefined;
  if (!operation) return;
  const response = operation.responses[String(status)] as Json | undefined;
  if (!response)
    throw new Error(
      `OpenAPI: ${method} ${resource} answered ${status}, which it does not document (${Object.keys(operation.responses).join(', ')})`,
    );
  const type = contentType.split(';')[0]!.trim();
  const media = response.content?.[type] as Json | undefined;
  if (!media)
    throw new Error(
      `OpenAPI: ${method} ${resource} ${status} answered ${type}, not ${Object.keys(response.content ?? {}).join(', ')}`,
    );
  const key = `${method} ${resource} ${status} ${type}`;
  let validate = compiled.get(key);
  if (!validate) {
    // $ref to components resolves against the document registered above.
    const schema = JSON.parse(
      JSON.stringify(media.schema).replaceAll('"#/components/', '"openapi#/components/'),
    );
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  if (!validate(body))
    throw new Error(
      `OpenAPI: ${key}: the answer does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 600)}`,
    );
}
