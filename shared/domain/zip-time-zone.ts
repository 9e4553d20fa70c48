// A US ZIP code's time zone, from zipcode-to-timezone (a table of every ZIP code and its IANA zone).

import zipToTimeZone from 'zipcode-to-timezone';

/** The IANA time zone of a 5-digit US ZIP code, or undefined when the table does not know it. */
export function zipTimeZone(zip: string): string | undefined {
  if (!/^\d{5}$/.test(zip)) return undefined;
  return zipToTimeZone.lookup(zip) ?? undefined;
}
