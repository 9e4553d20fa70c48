/**
 * What the S3 adapter uses of the SDK, by name. ../s3.ts loads this module on first use: a dynamic
 * `import('@aws-sdk/client-s3')` would hand over the package's whole namespace, so the bundle would
 * keep every command and schema of S3 (and parse them all at init); importing names lets esbuild keep
 * only these.
 */
export { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
