import { rmSync } from 'node:fs';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { buildApp } from '../build-app';
import { RetentionFunction } from '../constructs/retention-function';

type Json = Record<string, unknown>;
interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Json }>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }>;
}

export interface LocalTable {
  logicalId: string;
  create: CreateTableCommandInput;
  ttlAttribute?: string;
}

export interface LocalFunction {
  logicalId: string;
  /** `functions/<entryName>.ts` */
  entryName: string;
  /** Env vars with table references resolved to the local table names. */
  environment: Record<string, string>;
}

/** A stream event source mapping: the table whose stream feeds a function, and how. */
export interface LocalStreamMapping {
  /** The local name of the table. */
  table: string;
  entryName: string;
  batchSize: number;
  /** The event names its filter lets through (`{"eventName":[...]}`); all when it has none. */
  eventNames?: string[];
  tumblingWindowSeconds?: number;
}

export interface LocalDefinition {
  tables: LocalTable[];
  streams: LocalStreamMapping[];
  functions: LocalFunction[];
  /** The state machine's ASL, with Lambda ARNs made placeholders naming each function's logical id. */
  stateMachine: { logicalId: string; definition: Json; taskFunctions: Record<string, string> };
}

export const localTableName = (logicalId: string) => `rd-${logicalId}`;
export const placeholderArn = (logicalId: string) =>
  `arn:aws:lambda:us-east-1:000000000000:function:${logicalId}`;

/**
 * Synthesizes the CDK app in-process (no bundling) and reads what the one-machine stack needs
 * from the templates: table definitions, function env vars, and the state machine definition.
 * So what runs locally is what `cdk deploy` ships.
 */
export function readLocalDefinition(): LocalDefinition {
  const { app, data, service } = buildApp({ bundling: false });
  const assembly = app.synth();
  const dataTpl = assembly.getStackByName(data.stackName).template as CfnTemplate;
  const svcTpl = assembly.getStackByName(service.stackName).template as CfnTemplate;
  // The templates are read: the cloud assembly CDK wrote to a temporary folder is not needed.
  rmSync(assembly.directory, { recursive: true, force: true });

  const tables: LocalTable[] = [];
  for (const [logicalId, r] of Object.entries(dataTpl.Resources)) {
    if (r.Type !== 'AWS::DynamoDB::GlobalTable' && r.Type !== 'AWS::DynamoDB::Table') continue;
    const p = r.Properties ?? {};
    const gsis = (p.GlobalSecondaryIndexes as Json[] | undefined)?.map((g) => ({
      IndexName: g.IndexName as string,
      KeySchema: g.KeySchema as never,
      Projection: g.Projection as never,
    }));
    const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
    const stream = p.StreamSpecification as { StreamViewType?: string } | undefined;
    tables.push({
      logicalId,
      create: {
        TableName: localTableName(logicalId),
        KeySchema: p.KeySchema as never,
        AttributeDefinitions: p.AttributeDefinitions as never,
        BillingMode: 'PAY_PER_REQUEST',
        ...(gsis?.length ? { GlobalSecondaryIndexes: gsis } : {}),
        ...(stream?.StreamViewType
          ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType as never } }
          : {}),
      },
      ...(ttl?.Enabled && ttl.AttributeName ? { ttlAttribute: ttl.AttributeName } : {}),
    });
  }

  // Exports of the data stack, by name → the logical id they refer to.
  const exports = new Map<string, unknown>();
  for (const o of Object.values(dataTpl.Outputs ?? {})) if (o.Export) exports.set(o.Export.Name, o.Value);
  const resolve = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Json;
    if (o && 'Fn::ImportValue' in o) {
      const name = resolve(o['Fn::ImportValue']);
      if (!exports.has(name)) throw new Error(`Unresolvable import ${name}`);
      return resolve(exports.get(name));
    }
    if (o && 'Ref' in o) {
      const id = o.Ref as string;
      if (dataTpl.Resources[id]) return localTableName(id);
      if (svcTpl.Resources[id]?.Type === 'AWS::StepFunctions::StateMachine')
        return `arn:aws:states:us-east-1:000000000000:stateMachine:${id}`;
      // A function's alias (gradual deployments): the function's placeholder, qualified by the alias.
      const alias = svcTpl.Resources[id];
      if (alias?.Type === 'AWS::Lambda::Alias') {
        const fn = (alias.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref;
        if (fn) return `${placeholderArn(fn)}:${String(alias.Properties?.Name)}`;
      }
      return id;
    }
    if (o && 'Fn::GetAtt' in o) return placeholderArn((o['Fn::GetAtt'] as string[])[0]!);
    if (o && 'Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(sep);
    }
    return JSON.stringify(v);
  };

  const entries = new Map<string, string>();
  for (const c of service.node.findAll()) {
    if (c instanceof RetentionFunction)
      entries.set(Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement), c.entryName);
  }
  const functions: LocalFunction[] = [];
  for (const [logicalId, r] of Object.entries(svcTpl.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function' || !entries.has(logicalId)) continue;
    const vars = ((r.Properties?.Environment as Json | undefined)?.Variables ?? {}) as Json;
    functions.push({
      logicalId,
      entryName: entries.get(logicalId)!,
      environment: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, resolve(v)])),
    });
  }

  // Stream mappings: the stream is the data stack's export of a table's StreamArn.
  const streams: LocalStreamMapping[] = [];
  for (const r of Object.values(svcTpl.Resources)) {
    if (r.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const p = r.Properties ?? {};
    const fn = (p.FunctionName as Json | undefined)?.Ref as string | undefined;
    const imported = (p.EventSourceArn as Json | undefined)?.['Fn::ImportValue'];
    const value = imported === undefined ? undefined : (exports.get(resolve(imported)) as Json | undefined);
    const att = value?.['Fn::GetAtt'] as string[] | undefined;
    if (!fn || !entries.has(fn) || !att || att[1] !== 'StreamArn' || !dataTpl.Resources[att[0]!])
      throw new Error(
        `An event source mapping this local stack cannot run: ${JSON.stringify(p).slice(0, 200)}`,
      );
    const patterns =
      ((p.FilterCriteria as Json | undefined)?.Filters as { Pattern: string }[] | undefined) ?? [];
    const names = patterns.flatMap(
      (f) => (JSON.parse(f.Pattern) as { eventName?: string[] }).eventName ?? [],
    );
    streams.push({
      table: localTableName(att[0]!),
      entryName: entries.get(fn)!,
      batchSize: Number(p.BatchSize ?? 100),
      ...(names.length ? { eventNames: names } : {}),
      ...(p.TumblingWindowInSeconds ? { tumblingWindowSeconds: Number(p.TumblingWindowInSeconds) } : {}),
    });
  }

  const sm = Object.entries(svcTpl.Resources).find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (!sm) throw new Error('No state machine in the service template');
  const definition = JSON.parse(resolve(sm[1].Properties?.DefinitionString)) as Json;
  const taskFunctions: Record<string, string> = {};
  const visit = (states: Record<string, Json>) => {
    for (const [name, s] of Object.entries(states)) {
      if (s.Type === 'Task') {
        // The function's logical id, without a qualifier (`:live`: an alias runs the same code locally).
        const id = String(s.Resource).split(':function:')[1]?.split(':')[0];
        const entry = id ? entries.get(id) : undefined;
        if (!entry)
          throw new Error(
            `Task ${name} has a resource that is not one of our functions: ${String(s.Resource)}`,
          );
        taskFunctions[name] = entry;
      }
    }
  };
  visit(definition.States as Record<string, Json>);
  return { tables, streams, functions, stateMachine: { logicalId: sm[0], definition, taskFunctions } };
}
