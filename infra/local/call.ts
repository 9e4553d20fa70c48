import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { CALL_TYPES } from '../../shared/schemas/config';
import { parseRoles, TOKEN_HELP, tokenFor } from './authorizer';
import { PERSONAS, type Persona } from './personas';

/**
 * `npm run call`: walks one retention call in the terminal against the local stack, the way an
 * agent desktop would use the API. Interactive by default; every choice can also be given as a flag:
 *   npm run call -- --persona 1 --call-type CLOSE_ACCOUNT --factors correct --answers decline,accept
 */
type PersonaJson = Omit<Persona, 'expect'>;

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.RD_URL ?? 'http://127.0.0.1:3000' },
    persona: { type: 'string' },
    'call-type': { type: 'string' },
    factors: { type: 'string' },
    answers: { type: 'string' },
    channel: { type: 'string', default: 'agent' },
    token: { type: 'string' },
    role: { type: 'string', default: 'agent' },
    user: { type: 'string', default: 'desk-agent' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`npm run call -- [--persona N] [--call-type TYPE] [--factors c|w] [--answers a,d,…] [--channel agent|connect]
                    [--token JWT] [--role agent] [--user NAME] [--url URL]

${TOKEN_HELP}
  --role R[,R…]   the roles of the token it mints (default agent: an offer of specialist or
                  supervisor authority is then refused with 403, try --role supervisor)
  --user NAME     the username of the token it mints (default desk-agent)`);
  process.exit(0);
}
/** The agent's bearer token, read or minted once (the Connect channel needs none: it is self-service). */
let token: Promise<string> | undefined;
const bearer = () =>
  (token ??= tokenFor({
    url: values.url,
    token: values.token,
    roles: parseRoles(values.role),
    user: values.user,
  }));

const personas: readonly PersonaJson[] = PERSONAS;
const scripted = (values.answers ?? '').split(',').filter(Boolean);
const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });

const lines = rl[Symbol.asyncIterator]();

/** Reads answers line by line, so a terminal and piped input behave the same. */
async function ask(question: string, preset?: string): Promise<string> {
  if (preset !== undefined) {
    console.log(`${question}${preset}`);
    return preset;
  }
  process.stdout.write(question);
  const next = await lines.next();
  if (next.done) throw new Error('no more input');
  if (!process.stdin.isTTY) process.stdout.write(`${next.value}\n`);
  return next.value.trim();
}

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${values.url}/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await bearer()}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Record<string, unknown>;
  return { status: res.status, json };
}

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
function step(title: string, r: { status: number; json: Record<string, unknown> }) {
  console.log(`\n${bold(`── ${title}`)}  HTTP ${r.status}`);
  const j = r.json;
  if (j.stage) console.log(`   stage: ${String(j.stage)}`);
  const route = j.route as { queue: string; priority: number; reasons: string[] } | undefined;
  if (route)
    console.log(`   route: ${route.queue} (priority ${route.priority}) — ${route.reasons.join('; ')}`);
  if (j.segment) console.log(`   segment: ${JSON.stringify(j.segment)}`);
  if ('verified' in j)
    console.log(
      `   verified: ${String(j.verified)}, attempts left: ${String(j.attemptsLeft)} (${String(j.result)})`,
    );
  if (j.outcome) console.log(`   outcome: ${String(j.outcome)}`);
  if (j.title && j.status) console.log(`   ${String(j.title)}: ${String(j.detail)}`);
}

type Offer = {
  offerId: string;
  kind: string;
  title: string;
  script: string;
  reasons: string[];
  economics: Record<string, number>;
};
function showOffers(offers: Offer[]) {
  if (offers.length === 0) console.log('   no offers');
  offers.forEach((o, i) => {
    const e = o.economics;
    console.log(`   ${i + 1}. [${o.kind}] ${o.title}  (${o.offerId})`);
    console.log(`      “${o.script}”`);
    console.log(
      `      cost ${e.cost}, value ${e.customerValue}, P(accept) ${e.acceptProbability}, expected net ${e.expectedNetValue}`,
    );
    for (const r of o.reasons) console.log(`      · ${r}`);
  });
}

async function main() {
  try {
    await fetch(`${values.url}/`);
  } catch {
    console.error(
      `No Retention Desk at ${values.url}. Start it first in another terminal with \`npm start\` (or pass --url).`,
    );
    process.exit(1);
  }
  console.log(bold('Retention Desk — a retention call\n'));
  for (const [i, p] of personas.entries())
    console.log(`  ${String(i + 1).padStart(2)}. ${p.name} — ${p.story}`);
  const pick = Number(await ask('\nPersona number: ', values.persona));
  const persona = personas[pick - 1];
  if (!persona) throw new Error(`no persona ${pick}`);
  for (const [i, t] of CALL_TYPES.entries()) console.log(`  ${i + 1}. ${t}`);
  const ct = await ask('Call type (number or name) [CLOSE_ACCOUNT]: ', values['call-type']);
  const callType = (CALL_TYPES as readonly string[]).includes(ct)
    ? ct
    : (CALL_TYPES[Number(ct || '1') - 1] ?? 'CLOSE_ACCOUNT');

  if (values.channel === 'connect') return connectCall(persona, callType);

  const started = await api('POST', '/contacts', {
    channel: values.channel,
    callType,
    callerPhone: persona.phone,
  });
  step(`Contact started: ${persona.name} calls (${callType})`, started);
  const contactId = started.json.contactId as string | undefined;
  if (!contactId) return;

  while ((await api('GET', `/contacts/${contactId}`)).json.stage === 'VERIFY') {
    const mode = await ask(
      'Verification: answer (c)orrectly or (w)rongly? [c]: ',
      values.factors === undefined ? undefined : values.factors[0],
    );
    const wrong = mode.toLowerCase().startsWith('w');
    const r = await api('POST', `/contacts/${contactId}/verification`, {
      last4: wrong ? '0000' : persona.last4,
      zip: persona.zip,
      dob: persona.dob,
    });
    step(`Verification (last 4 ${wrong ? 'wrong' : 'right'}, ZIP and date of birth)`, r);
    if (r.status !== 200) break;
  }

  let offers = await api('GET', `/contacts/${contactId}/offers`);
  step('Offers', offers);
  let current = (offers.json.offers as Offer[] | undefined) ?? [];
  showOffers(current);
  while (current.length > 0) {
    const first = current[0]!;
    const a = await ask(
      `Does the customer accept “${first.title}”? (a)ccept / (d)ecline [d]: `,
      scripted.shift()?.[0],
    );
    const response = a.toLowerCase().startsWith('a') ? 'ACCEPTED' : 'DECLINED';
    offers = await api('POST', `/contacts/${contactId}/responses`, { offerId: first.offerId, response });
    step(`${response} ${first.offerId}`, offers);
    current = (offers.json.offers as Offer[] | undefined) ?? [];
    showOffers(current);
  }
  const final = await api('GET', `/contacts/${contactId}`);
  const c = final.json as { stage: string; outcome: string | null; history: { stage: string }[] };
  console.log(`\n${bold('Call ended')}: stage ${c.stage}, outcome ${c.outcome ?? '—'}`);
  console.log(`   stages: ${c.history.map((h) => h.stage).join(' → ')}`);
}

/**
 * The same call as Amazon Connect would place it: Connect-shaped events to the connect-adapter
 * through the local Lambda Invoke API, keypad digits for the answers, the flat map it returns shown.
 */
async function connectCall(persona: PersonaJson, callType: string) {
  const contactId = `local-${Date.now().toString(36)}`;
  const invoke = async (params: Record<string, string>) => {
    const res = await fetch(`${values.url}/2015-03-31/functions/connect-adapter/invocations`, {
      method: 'POST',
      body: JSON.stringify({
        Name: 'ContactFlowEvent',
        Details: {
          ContactData: {
            ContactId: contactId,
            Channel: 'VOICE',
            CustomerEndpoint: { Address: persona.phone, Type: 'TELEPHONE_NUMBER' },
            Attributes: {},
          },
          Parameters: params,
        },
      }),
    });
    const map = (await res.json()) as Record<string, string>;
    console.log(`\n${bold(`── Connect step ${params.step}`)} ${JSON.stringify(params)}`);
    for (const [k, v] of Object.entries(map)) console.log(`   $.External.${k} = ${v}`);
    return map;
  };
  let m = await invoke({ step: 'start', callType });
  while (m.stage === 'VERIFY') {
    const mode = await ask(
      'Keypad: enter the card digits (c)orrectly or (w)rongly? [c]: ',
      values.factors?.[0],
    );
    m = await invoke({
      step: 'verify',
      last4: mode.startsWith('w') ? '0000' : persona.last4,
      zip: persona.zip,
    });
  }
  if (m.stage === 'OFFER' || m.stage === 'CROSS_SELL') m = await invoke({ step: 'offers' });
  while (Number(m.offerCount ?? '0') > 0 && m.offer1Id) {
    const preset = values.answers ? (scripted.shift()?.startsWith('a') ? '1' : '2') : undefined;
    const a = await ask(`Caller presses 1 to accept “${m.offer1Title}”, 2 to decline [2]: `, preset);
    m = await invoke({ step: 'answer', offerId: m.offer1Id, digit: a === '1' ? '1' : '2' });
  }
  console.log(
    `\n${bold('Call ended')}: stage ${m.stage}, transfer to ${m.queue}${m.outcome ? `, outcome ${m.outcome}` : ''}`,
  );
}

main()
  .catch((e: unknown) => {
    console.error(`\n${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  })
  .finally(() => rl.close());
