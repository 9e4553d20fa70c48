// Whole months and the last year's contacts, from ISO dates: what customer value and the churn
// model both read of an account.

/** Whole months between two ISO dates (yyyy-mm-dd prefixes). */
export function monthsBetween(from: string, to: string): number {
  const [fy, fm, fd] = from.slice(0, 10).split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = to.slice(0, 10).split('-').map(Number) as [number, number, number];
  return Math.max(0, (ty - fy) * 12 + (tm - fm) - (td < fd ? 1 : 0));
}

/** Contacts in the 12 months before `asOf` (the current one not yet counted). */
export function contactsInLastYear(recent: readonly string[] | undefined, asOf: string): number {
  if (!recent?.length) return 0;
  const since = Date.parse(asOf) - 365 * 86_400_000;
  return recent.filter((at) => Date.parse(at) >= since && Date.parse(at) <= Date.parse(asOf)).length;
}
