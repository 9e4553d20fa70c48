import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildPersonas } from './personas';

/** Where the demo personas' clear factors are written for people and scripts to use. */
export const PERSONAS_JSON_PATH = fileURLToPath(new URL('./personas.json', import.meta.url));

/**
 * The personas as pretty JSON (2-space indent, trailing newline). Nothing in it depends on
 * `asOf` (only the accounts' dates do), so the file is the same whenever it is written.
 */
export function personasJson(asOf: string): string {
  const list = buildPersonas(asOf, 'personas.json holds no hash').map(({ persona: p }) => ({
    name: p.name,
    accountId: p.accountId,
    phone: p.phone,
    last4: p.last4,
    zip: p.zip,
    dob: p.dob,
    ...(p.pin !== undefined ? { pin: p.pin } : {}),
    story: p.story,
  }));
  return `${JSON.stringify(list, null, 2)}\n`;
}

// `tsx infra/local/write-personas.ts` writes the file; importing this module does not.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(PERSONAS_JSON_PATH, personasJson(new Date().toISOString().slice(0, 10)));
  console.log(`wrote ${PERSONAS_JSON_PATH}`);
}
