import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLE_DESCRIPTIONS, ROLES } from '../../shared/schemas/identity';

/**
 * The people of the desk (agents, specialists, supervisors, the product owner, ops): an Amazon
 * Cognito user pool with one group per role. The REST API's authorizer trusts its ID tokens, whose
 * `cognito:groups` claim carries the roles. Stateful (users, MFA enrolments): retained.
 */
export class AgentDirectory extends Construct {
  readonly userPool: cognito.UserPool;
  /** The agent desktop's app client (public: SRP sign-in, no secret in a browser). */
  readonly desktopClient: cognito.UserPoolClient;
  readonly groups: Record<(typeof ROLES)[number], cognito.UserPoolGroup>;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      // People are added by an administrator (or federated later), never by signing up.
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      signInCaseSensitive: false,
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      // An agent can grant money (fee waivers, credit lines): a second factor always, by authenticator app.
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      // Threat protection (compromised credentials, adaptive authentication) needs the Plus plan.
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.desktopClient = this.userPool.addClient('Desktop', {
      authFlows: { userSrp: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
      // A shift: tokens last an hour, the session is renewed with the refresh token for 12 hours.
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      enableTokenRevocation: true,
    });
    this.groups = Object.fromEntries(
      ROLES.map((role, i) => [
        role,
        new cognito.UserPoolGroup(this, `Group-${role}`, {
          userPool: this.userPool,
          groupName: role,
          description: ROLE_DESCRIPTIONS[role],
          precedence: i,
        }),
      ]),
    ) as AgentDirectory['groups'];
  }
}
