import { RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { CONTACTS_BY_ACCOUNT, OFFER_LOG_BY_ACCOUNT, PHONE_INDEX } from '../../shared/schemas/storage-names';
import { AgentDirectory } from '../constructs/agent-directory';

/** The stateful stack: the tables and the factor pepper, kept apart from the functions so a redeploy of code never touches data. */
export class DataStack extends Stack {
  readonly accounts: dynamodb.TableV2;
  readonly contacts: dynamodb.TableV2;
  /** Append-only by convention: writers only put, with `attribute_not_exists`. */
  readonly offerLog: dynamodb.TableV2;
  /**
   * The KPI report's daily aggregates (one item per day and dimension values, partitioned by month)
   * and the offer-log stream's per-shard checkpoints (TTL): written by AggregateKpis only.
   */
  readonly kpis: dynamodb.TableV2;
  /** Offers, segment definitions, routing tables, strategies: versioned configuration records. */
  readonly catalog: dynamodb.TableV2;
  /** Budget use per period (exact caps under concurrency) and rate-limit windows, forgotten by TTL. */
  readonly counters: dynamodb.TableV2;
  /** Answers learned per call type (partition), segment and offer: a start reads its call type's in one Query. */
  readonly learning: dynamodb.TableV2;
  /**
   * The pepper of the verification-factor hashes (accounts hold factors only hashed with it). Read by
   * the functions that hash or check factors, with secretsmanager:GetSecretValue on this secret only.
   */
  readonly pepper: secretsmanager.Secret;
  /** The key of derived contact ids. Read by LoadContact only. */
  readonly contactKey: secretsmanager.Secret;
  /** The key of erased accounts' pseudonyms. Read by AdminApi only (erasure). */
  readonly erasureKey: secretsmanager.Secret;
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
        'partitionKey' | 'sortKey' | 'globalSecondaryIndexes' | 'timeToLiveAttribute' | 'dynamoStream'
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
      // Erasure finds an account's contacts here. Keys only and sparse (unidentified contacts have no
      // account): one index write when a contact gets its account, none for later turns, which
      // change no key.
      globalSecondaryIndexes: [
        {
          indexName: CONTACTS_BY_ACCOUNT,
          partitionKey: { name: 'accountId', type: S },
          projectionType: dynamodb.ProjectionType.KEYS_ONLY,
        },
      ],
    });
    this.offerLog = table('OfferLog', {
      partitionKey: { name: 'contactId', type: S },
      sortKey: { name: 'seq', type: N },
      // The KPI report's aggregates are kept from the log's stream (new entries, as written).
      dynamoStream: dynamodb.StreamViewType.NEW_IMAGE,
      globalSecondaryIndexes: [
        {
          indexName: OFFER_LOG_BY_ACCOUNT,
          partitionKey: { name: 'accountId', type: S },
          sortKey: { name: 'at', type: S },
          projectionType: dynamodb.ProjectionType.ALL,
        },
      ],
    });
    this.kpis = table('Kpis', {
      partitionKey: { name: 'pk', type: S },
      sortKey: { name: 'sk', type: S },
      timeToLiveAttribute: 'expiresAt',
    });
    this.catalog = table('Catalog', {
      partitionKey: { name: 'pk', type: S },
      sortKey: { name: 'sk', type: S },
    });
    this.counters = table('Counters', {
      partitionKey: { name: 'pk', type: S },
      // The outbox's items (OUTBOX#…) are published from the stream (the mapping lets only them through).
      dynamoStream: dynamodb.StreamViewType.NEW_IMAGE,
      timeToLiveAttribute: 'expiresAt',
    });
    // The propensity models (`#PROPENSITY`, one per offer) and the learner's checkpoints per stream
    // shard (`#PROPENSITY_CHECKPOINT`, gone by TTL after the stream's retention).
    this.learning = table('Learning', {
      partitionKey: { name: 'callType', type: S },
      sortKey: { name: 'stat', type: S },
      timeToLiveAttribute: 'expiresAt',
    });

    // Secrets Manager's default key (aws/secretsmanager): a reader needs no KMS grant of ours. None is
    // rotated: each reason is given beside it (cdk-nag SMG4).
    const key = (id: string, description: string, notRotated: string) => {
      const secret = new secretsmanager.Secret(this, id, {
        description,
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: `Not rotated: ${notRotated}` });
      return secret;
    };
    this.pepper = key(
      'FactorPepper',
      'Pepper of the verification-factor hashes held on accounts',
      'factors are only held hashed with this pepper, so rotating it would invalidate every stored verification hash. It is changed by re-importing the accounts under a new secret.',
    );
    // Keys the contact ids derived from a channel's own id (Connect ContactId, Lex session, desk id):
    // without it, whoever knows that id could compute the contact id and read the contact.
    this.contactKey = key(
      'ContactIdKey',
      'Key of the contact ids derived from channel contact ids, and of start fingerprints',
      'live contacts are found by ids derived with this key, so a rotation would lose every contact in progress. Contacts live 30 days; a new key can be set between campaigns.',
    );
    // Keys the pseudonyms that replace an erased account's id in the offer log. Its own key: deleting
    // it would make every pseudonym anonymous without touching verification or live contacts.
    this.erasureKey = key(
      'ErasureKey',
      'Key of the pseudonyms of erased accounts (offer log, audit)',
      'an erasure is found again (repeated, resumed) by the pseudonym this key makes, and one account keeps one pseudonym across its entries; a new key would split them. Deleting the key is the way to anonymise every pseudonym at once.',
    );

    this.directory = new AgentDirectory(this, 'Agents');
  }
}
