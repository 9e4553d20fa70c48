import json from '../../data/default-config.json' with { type: 'json' };
import { type DecisionConfig, DecisionConfigSchema } from '../../shared/schemas/config';

/**
 * The first decision configuration (segments, routing, call-type policy, the offer catalog) is data:
 * `data/default-config.json`, validated here by DecisionConfigSchema when this module is imported, so
 * a bad edit fails at once. `npm start` seeds it into the catalog table and the tests decide with it;
 * on AWS it is the document to post as the first version. The product owner then changes the active
 * configuration by writing new versions, not by deploying. No Lambda imports it (they read the active
 * version from the catalog table): test/unit/architecture.test.ts holds them to that.
 *
 * What the JSON cannot say in comments: the PREMIUM_TRANSACTOR rule is a CEL `expression` to show
 * that form beside the condition lists; `credit-line-increase`'s conditions are the ability-to-pay
 * check (uses the line, pays reliably, unlikely to default); `high-yield-savings` wants a record of
 * paying in full long enough to mean something; `checking-account` is for customers who pay the card
 * reliably from another bank.
 */
export const DEFAULT_CONFIG: DecisionConfig = DecisionConfigSchema.parse(json);
