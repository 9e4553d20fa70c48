import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';

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
