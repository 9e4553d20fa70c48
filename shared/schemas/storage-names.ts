/**
 * Names the tables' definitions (CDK, at synth) and the DynamoDB adapters (at run time) must agree
 * on. They live here, with no imports, so synth loads no adapter and no AWS SDK to read them.
 */

/** Accounts by phone number (the caller's number finds the account). */
export const PHONE_INDEX = 'byPhone';
/** Phone-alias items of the accounts table: `PHONE#<phone>#<accountId>`. */
export const PHONE_ALIAS_PREFIX = 'PHONE#';
/** Contacts by account (keys only: an erasure needs their ids, nothing else). */
export const CONTACTS_BY_ACCOUNT = 'byAccount';
/** Offer-log entries by account (or, once erased, by pseudonym), in time order. */
export const OFFER_LOG_BY_ACCOUNT = 'byAccount';
/** The partition of the catalog table's decision configuration items (the active one, its pointer, the versions). */
export const CONFIG_PK = 'DECISION_CONFIG';
/** The strategies' funnel counters and the placements' progress in the counters table: `FUNNEL#…`. */
export const FUNNEL_PREFIX = 'FUNNEL#';
