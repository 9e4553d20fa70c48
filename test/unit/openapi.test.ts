import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../shared/schemas/api';
import { openApiDocument } from '../../shared/schemas/openapi';
import { checkAnswer, documentedResource } from '../fakes/openapi-check';

const doc = openApiDocument() as Record<string, any>;

describe('the OpenAPI 3.1 document of the REST API v1', () => {
  it('validates against the OpenAPI 3.1 schema', async () => {
    const r = await new Validator().validate(doc as never);
    expect(r, JSON.stringify(r.errors)).toEqual({ valid: true });
    expect(doc.openapi).toBe('3.1.0');
  });

  it('has an operation for every route, with its success and its problems', () => {
    for (const r of ROUTES) {
      const op = doc.paths[r.resource]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.resource}`).toBeDefined();
      expect(op.operationId).toBe(r.action);
      const statuses = Object.keys(op.responses);
      expect(statuses.some((s) => s.startsWith('2'))).toBe(true);
      expect(statuses).toContain('401');
    }
    expect(Object.keys(doc.paths['/v1/contacts/{contactId}/verification'].post.responses)).toContain('423');
  });

  it('takes its request schemas from the handlers’ own zod schemas', () => {
    const start = doc.paths['/v1/contacts'].post.requestBody.content['application/json'].schema;
    expect(start.properties.callType.enum).toContain('CLOSE_ACCOUNT');
    expect(start.additionalProperties).toBe(false);
    const respond = doc.paths['/v1/contacts/{contactId}/responses'].post;
    expect(respond.parameters.map((p: { name: string }) => p.name)).toEqual(['contactId', 'Idempotency-Key']);
  });

  it('the check the end-to-end suite runs refuses an answer the document does not describe', () => {
    const ok = { stage: 'CLOSED', outcome: 'CLOSURE_REQUESTED', offers: [] };
    const id = '/v1/contacts/3f1c2a4e-1b2c-8d3e-9f4a-5b6c7d8e9f0a';
    expect(() => checkAnswer('POST', `${id}/closure`, 200, 'application/json', ok)).not.toThrow();
    expect(() => checkAnswer('POST', `${id}/closure`, 200, 'application/json', { ...ok, extra: 1 })).toThrow(
      /does not match the document/,
    );
    expect(() =>
      checkAnswer('POST', `${id}/closure`, 200, 'application/json', { ...ok, stage: 'GONE' }),
    ).toThrow(/does not match/);
    expect(() => checkAnswer('POST', `${id}/closure`, 418, 'application/problem+json', {})).toThrow(
      /answered 418, which it does not document/,
    );
    expect(() =>
      checkAnswer('POST', `${id}/closure`, 409, 'application/problem+json', {
        type: 't',
        title: 'x',
        status: 409,
        detail: 'd',
        stage: 'OFFER',
      }),
    ).not.toThrow();
    expect(() => checkAnswer('POST', `${id}/closure`, 409, 'application/json', {})).toThrow(
      /answered application\/json/,
    );
    // A literal resource wins over the template, as API Gateway's does.
    expect(documentedResource('/v1/contacts/pickup')).toBe('/v1/contacts/pickup');
    expect(documentedResource('/v1/admin/config')).toBeUndefined();
  });
});
