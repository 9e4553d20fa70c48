/** Env vars are set by the CDK constructs (and by the local runtime from the same template). */
export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`Missing environment variable ${name}`);
  return v;
}
