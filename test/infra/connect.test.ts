import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';

const ARN = 'arn:aws:connect:us-east-1:123456789012:instance/9f1a0c1e-2b7d-4a31-8d0e-4c5b6a7d8e9f';
const permissions = (context: Record<string, unknown>) => {
  const { service } = buildApp({ bundling: false, context });
  return Object.values(Template.fromStack(service).findResources('AWS::Lambda::Permission')).map(
    (r) => r.Properties,
  );
};

describe('Connect adapter wiring', () => {
  it('Connect may invoke the adapter only from the instance given as context', () => {
    const connect = permissions({ connectInstanceArn: ARN }).filter(
      (p) => p.Principal === 'connect.amazonaws.com',
    );
    expect(connect).toHaveLength(1);
    expect(connect[0]).toMatchObject({ Action: 'lambda:InvokeFunction', SourceArn: ARN });
  });
  it('without an instance, nothing outside the account may invoke it', () => {
    expect(permissions({}).filter((p) => p.Principal === 'connect.amazonaws.com')).toHaveLength(0);
  });
});
