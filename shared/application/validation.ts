import type * as z from 'zod';

/** One failed field: its path as a client sees it, and why. */
export type ValidationError = { path: string; message: string };

/**
 * A zod error as the list of fields that failed, each with its path under `prefix`: what an HTTP 400
 * names, what the import report keeps per rejected record, what the account feed logs (paths, never values).
 */
export function zodErrors(error: z.ZodError, prefix: string): ValidationError[] {
  // A key named "" is shown as `""`: every error names a path a client can see.
  const segment = (k: PropertyKey) => (k === '' ? '""' : String(k));
  return error.issues.flatMap((i): ValidationError[] => {
    const base = [prefix, ...i.path.map(segment)].filter(Boolean).join('.');
    if (i.code === 'unrecognized_keys')
      return i.keys.map((k) => ({
        path: [base, segment(k)].filter(Boolean).join('.'),
        message: 'unknown field',
      }));
    return [{ path: base || prefix || '(body)', message: i.message }];
  });
}
