import { RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { PHONE_INDEX } from '../../shared/adapters/dynamo';
import { AgentDirectory } from '../constructs/agent-directory';

/** The stateful stack: the tables and the factor pepper, kept apart from the functions so a redeploy of code never touches data. */
export class DataStack extends Stack {
  readonly accounts: dynamodb.TableV2;
  readonly contacts: dynamodb.TableV2;
  /** Append-only by convention: writers only put, with `attribute_not_exists`. */
  readonly offerLog: dynamodb.TableV2;
  /** Offers, segment definitions, routing tables, strategies: versioned configuration records. */
  readonly catalog: dynamodb.TableV2;
  /** Budget counters per offer and period (exact caps under concurrency), forgotten by TTL. */
  readonly counters: dynamodb.TableV2;
  /**
   * The pepper of the verification-factor hashes (accounts hold factors only hashed with it). Read by
   * the functions that hash or check factors, with secretsmanager:GetSecretValue on this secret only.
   */
  readonly pepper: secretsmanager.Secret;
  /** The key of derived contact ids. Read by LoadContact only. */
  readonly contactKey: secretsmanager.Secret;
  /** The people of the desk and their roles (Cognito user pool and groups): the REST API trusts its tokens. */
  readonly directory: AgentDirectory;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const S = dynamodb.AttributeType.STRING;
    const N = dynamodb.AttributeType.NUMBER;
    const table = (
      name: string,
      p: Pick<
        dynamodb.TablePropsV2,
        'partitionKey' | 'sortKey' | 'globalSecondaryIndexes' | 'timeToLiveAttribute'
      >,
    ) =>
      new dynamodb.TableV2(this, name, {
        ...p,
        billing: dynamodb.Billing.onDemand(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });

    this.accounts = table('Accounts', {
      partitionKey: { name: 'accountId', type: S },
      globalSecondaryIndexes: [
        {
          indexName: PHONE_INDEX,
          partitionKey: { name: 'phone', type: S },
          projectionType: dynamodb.ProjectionType.ALL,
        },
      ],
    });
    this.contacts = table('Contacts', {
      partitionKey: { name: 'contactId', type: S },
      timeToLiveAttribute: 'expiresAt',
    });
    this.offerLog = table('OfferLog', {
      partitionKey: { name: 'contactId', type: S },
      sortKey: { name: 'seq', type: N },
      globalSecondaryIndexes: [
        {
          indexName: 'byAccount',
          partitionKey: { name: 'accountId', type: S },
          sortKey: { name: 'at', type: S },
          projectionType: dynamodb.ProjectionType.ALL,
        },
      ],
    });
    this.catalog = table('Catalog', {
      partitionKey: { name: 'pk', type: S },
      sortKey: { name: 'sk', type: S },
    });
    this.counters = table('Counters', {
      partitionKey: { name: 'pk', type: S },
      timeToLiveAttribute: 'expiresAt',
    });

    // Secrets Manager's default key (aws/secretsmanager): a reader needs no KMS grant of ours.
    this.pepper = new secretsmanager.Secret(this, 'FactorPepper', {
      description: 'Pepper of the verification-factor hashes held on accounts',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.pepper).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Not rotated: factors are only held hashed with this pepper, so rotating it would invalidate every stored verification hash. It is changed by re-importing the accounts under a new secret.',
    });

    // Keys the contact ids derived from a channel's own id (Connect ContactId, Lex session, desk id):
    // without it, whoever knows that id could compute the contact id and read the contact.
    this.contactKey = new secretsmanager.Secret(this, 'ContactIdKey', {
      description: 'Key of the contact ids derived from channel contact ids, and of start fingerprints',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.contactKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Not rotated: live contacts are found by ids derived with this key, so a rotation would lose every contact in progress. Contacts live 30 days; a new key can be set between campaigns.',
    });

    this.directory = new AgentDirectory(this, 'Agents');
  }
}
