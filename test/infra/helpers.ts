import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';

// Template JSON, read field by field in the assertions.
export type Json = Record<string, any>;

/** Synthesizes without failing on findings, and returns the AwsSolutions findings nobody acknowledged. */
export function nagFindings(app: App): Array<{ rule: string; severity: string; paths: string[] }> {
  const assembly = app.synth();
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
  return (report.pluginReports as Json[])
    .filter((p) => p.pluginName === 'AwsSolutions')
    .flatMap((p) => p.violations as Json[])
    .map((v) => ({
      rule: v.ruleName,
      severity: v.severity,
      paths: v.violatingConstructs.map((c: Json) => c.constructPath),
    }));
}

/** Report findings instead of throwing, so a test can read them. */
export const lenient = { '@aws-cdk/core:failSynthOnValidationErrors': false };

/** Every statement a function's role carries: inline policies and attached policies; no managed policy. */
export function roleStatements<S>(tpl: Template, fnLogicalId: string): S[] {
  const fn = tpl.findResources('AWS::Lambda::Function')[fnLogicalId] as Json;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  const role = tpl.findResources('AWS::IAM::Role')[roleId] as Json;
  expect(role.Properties.ManagedPolicyArns ?? []).toEqual([]);
  const inline = (role.Properties.Policies ?? []).flatMap((p: Json) => p.PolicyDocument.Statement);
  const attached = Object.values(tpl.findResources('AWS::IAM::Policy'))
    .filter((p: Json) => (p.Properties.Roles as Json[]).some((r) => r.Ref === roleId))
    .flatMap((p: Json) => p.Properties.PolicyDocument.Statement);
  return [...inline, ...attached];
}
