/**
 * What the secret readers use of the SDK, by name. ../pepper.ts loads this module on the first read
 * of a secret: a dynamic import of the package itself would keep all of client-secrets-manager in
 * the bundle.
 */
export { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
