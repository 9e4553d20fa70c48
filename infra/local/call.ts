import { createInterface } from 'node:readline/promises';
import { lexIntentOf } from '../../shared/channels/lex';
import { CALL_TYPES, type CallType } from '../../shared/schemas/config';
import { tokenFor } from './authorizer';
import {
  type Answer,
  CALL_USAGE,
  type CallOptions,
  type Factors,
  parseAnswer,
  parseCallOptions,
  parseCallType,
  parseFactors,
  parsePersona,
} from './call-options';
import { lexCodeHookEvent } from './lex-event';
import { PERSONAS, type Persona } from './personas';

/**
 * `npm run call`: walks one retention call in the terminal against the local stack, the way an
 * agent desktop (the REST API), Amazon Connect (the connect-adapter) or Lex V2 (the lex-adapter)
 * would. Interactive by default; every choice can also be given as a flag (--help lists them):
 *   npm run call -- --persona 1 --call-type CLOSE_ACCOUNT --factors c --answers decline,accept:2
 */
type PersonaJson = Omit<Persona, 'expect'>;

const personas: readonly PersonaJson[] = PERSONAS;
let values: CallOptions;
try {
  values = parseCallOptions(process.argv.slice(2), personas.length);
} catch (e) {
  console.error(
    `npm run call: ${(e as Error).message}\n\n${CALL_USAGE.replace('PERSONAS', String(personas.length))}`,
  );
  process.exit(2);
}
if (values.help) {
  console.log(CALL_USAGE.replace('PERSONAS', String(personas.length)));
  process.exit(0);
}
/** The agent's bearer token, read or minted once (the Connect channel needs none: it is self-service). */
let token: Promise<string> | undefined;
const bearer = () =>
  (token ??= tokenFor({
    url: values.url,
    token: values.token,
    roles: values.roles,
    user: values.user,
  }));

const scripted: Answer[] = [...values.answers];
const factorPlan: Factors[] = [...values.factors];
/** The next verification attempt's factors: as planned (the last one repeats), else asked. */
async function nextFactors(question: string): Promise<Factors> {
  if (factorPlan.length) return factorPlan.length > 1 ? factorPlan.shift()! : factorPlan[0]!;
  return askValid(`${question} (c)orrectly or (w)rongly? [c]: `, (t) => parseFactors(t || 'c'));
}
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

/** Asks until the answer parses (a terminal), or fails on the first bad one (piped input). */
async function askValid<T>(question: string, parse: (text: string) => T, preset?: T): Promise<T> {
  if (preset !== undefined) return preset;
  for (;;) {
    const text = await ask(question);
    try {
      return parse(text);
    } catch (e) {
      if (!process.stdin.isTTY) throw e;
      console.log(`   ${(e as Error).message}`);
    }
  }
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
  authority?: string;
};
function showOffers(offers: Offer[]) {
  if (offers.length === 0) console.log('   no offers');
  offers.forEach((o, i) => {
    const e = o.economics;
    const needs =
      o.authority && o.authority !== 'AGENT' ? `  needs ${o.authority.toLowerCase()} authority` : '';
    console.log(`   ${i + 1}. [${o.kind}] ${o.title}  (${o.offerId})${needs}`);
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
  const pick = await askValid('\nPersona number: ', (t) => parsePersona(t, personas.length), values.persona);
  if (values.persona !== undefined) console.log(`\nPersona number: ${pick}`);
  const persona = personas[pick - 1]!;
  for (const [i, t] of CALL_TYPES.entries()) console.log(`  ${i + 1}. ${t}`);
  const callType = await askValid(
    'Call type (number or name) [CLOSE_ACCOUNT]: ',
    (t) => parseCallType(t || 'CLOSE_ACCOUNT'),
    values.callType,
  );
  if (values.callType !== undefined) console.log(`Call type (number or name): ${callType}`);

  if (values.channel === 'connect') return connectCall(persona, callType);
  if (values.channel === 'lex') return lexCall(persona, callType);

  const started = await api('POST', '/contacts', {
    channel: values.channel,
    callType,
    callerPhone: persona.phone,
  });
  step(`Contact started: ${persona.name} calls (${callType})`, started);
  const contactId = started.json.contactId as string | undefined;
  if (!contactId) return;

  while ((await api('GET', `/contacts/${contactId}`)).json.stage === 'VERIFY') {
    const wrong = (await nextFactors('Verification: answer')) === 'wrong';
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
    const shown = current;
    const range = shown.length > 1 ? `1–${shown.length}` : '1';
    const answer = await nextAnswer(
      shown.length > 1
        ? `The customer's answer: N accepts offer N (${range}), d declines the first, decline:N offer N, close [d]: `
        : `Does the customer accept “${shown[0]!.title}”? (a)ccept / (d)ecline / close [d]: `,
      shown.length,
    );
    if (answer === undefined) break;
    if (answer.response === 'CLOSE') {
      offers = await api('POST', `/contacts/${contactId}/closure`);
      step('The customer insists: closure requested', offers);
      break;
    }
    const chosen = shown[answer.offer - 1]!;
    offers = await api('POST', `/contacts/${contactId}/responses`, {
      offerId: chosen.offerId,
      response: answer.response,
    });
    step(`${answer.response} ${chosen.offerId}`, offers);
    current = (offers.json.offers as Offer[] | undefined) ?? [];
    showOffers(current);
  }
  const final = await api('GET', `/contacts/${contactId}`);
  const c = final.json as { stage: string; outcome: string | null; history: { stage: string }[] };
  console.log(`\n${bold('Call ended')}: stage ${c.stage}, outcome ${c.outcome ?? '—'}`);
  console.log(`   stages: ${c.history.map((h) => h.stage).join(' → ')}`);
}

/**
 * The next answer to the offers shown: as scripted (--answers), else asked. Scripted answers that
 * run out end the call where it stands (piped, nothing left to say); an offer number beyond the
 * offers shown is an error naming how many there are.
 */
async function nextAnswer(question: string, shown: number): Promise<Answer | undefined> {
  const check = (a: Answer) => {
    if (a.offer > shown)
      throw new Error(`offer ${a.offer} is not shown: ${shown === 1 ? 'only 1 is' : `1–${shown} are`}`);
    return a;
  };
  const planned = scripted.shift();
  if (planned) return check(planned);
  if (values.answers.length && !process.stdin.isTTY) return undefined;
  return askValid(question, (t) => check(parseAnswer(t || 'd')));
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
    const wrong = (await nextFactors('Keypad: enter the card digits')) === 'wrong';
    m = await invoke({ step: 'verify', last4: wrong ? '0000' : persona.last4, zip: persona.zip });
  }
  if (m.stage === 'OFFER' || m.stage === 'CROSS_SELL') m = await invoke({ step: 'offers' });
  while (Number(m.offerCount ?? '0') > 0 && m.offer1Id) {
    const a = await nextAnswer(
      `Caller presses 1 to accept “${m.offer1Title}”, 2 to decline, 9 to close now [2]: `,
      1,
    );
    if (a === undefined) break;
    if (a.response === 'CLOSE') {
      m = await invoke({ step: 'close' });
      break;
    }
    m = await invoke({ step: 'answer', offerId: m.offer1Id, digit: a.response === 'ACCEPTED' ? '1' : '2' });
  }
  console.log(
    `\n${bold('Call ended')}: stage ${m.stage}, transfer to ${m.queue}${m.outcome ? `, outcome ${m.outcome}` : ''}`,
  );
}

/**
 * The same chat as Lex V2 would hold it: code-hook events to the lex-adapter through the local
 * Lambda Invoke API (the bot's intent for the call type, its slots as the customer fills them,
 * ConfirmIntent answered Confirmed or Denied), the bot's message shown at each step.
 */
async function lexCall(persona: PersonaJson, callType: CallType) {
  const sessionId = `local-${Date.now().toString(36)}`;
  const slots: Record<string, string> = {};
  type Reply = {
    sessionState: {
      dialogAction: { type: string; slotToElicit?: string };
      intent?: { slots?: Record<string, { value?: { interpretedValue?: string } } | null> };
    };
    messages: Array<{ content: string }>;
  };
  const invoke = async (
    said: string,
    confirmation: 'None' | 'Confirmed' | 'Denied' = 'None',
    intent = lexIntentOf(callType),
  ) => {
    const res = await fetch(`${values.url}/2015-03-31/functions/lex-adapter/invocations`, {
      method: 'POST',
      body: JSON.stringify(lexCodeHookEvent({ sessionId, intent, slots, confirmation, said })),
    });
    const r = (await res.json()) as Reply;
    const d = r.sessionState.dialogAction;
    // The slots as the bot hands them back (it clears them after a failed verification), as Lex keeps them.
    for (const k of Object.keys(slots)) delete slots[k];
    for (const [k, v] of Object.entries(r.sessionState.intent?.slots ?? {}))
      if (v?.value?.interpretedValue) slots[k] = v.value.interpretedValue;
    console.log(`\n${bold(`── customer: “${said}”`)}`);
    console.log(
      `   bot (${d.type}${d.slotToElicit ? ` ${d.slotToElicit}` : ''}): ${r.messages[0]?.content ?? ''}`,
    );
    return d;
  };
  let d = await invoke(`I want to talk about ${callType.toLowerCase().replace(/_/g, ' ')}`);
  const factor = async (name: string, right: string) => {
    const wrong = name === 'last4' && (await nextFactors('Chat: type the card digits')) === 'wrong';
    slots[name] = wrong ? '0000' : right;
  };
  for (let guard = 0; d.type === 'ElicitSlot' && guard < 12; guard++) {
    const name = d.slotToElicit ?? '';
    const known: Record<string, string> = { phone: persona.phone, zip: persona.zip, dob: persona.dob };
    if (name === 'last4') await factor('last4', persona.last4);
    else if (known[name]) slots[name] = known[name]!;
    else break;
    d = await invoke(slots[name]!);
  }
  while (d.type === 'ConfirmIntent') {
    const a = await nextAnswer('Does the customer accept? (a)ccept / (d)ecline / close [d]: ', 1);
    if (a === undefined) break;
    if (a.response === 'CLOSE') {
      // Lex hears another intent: the customer insists on closing.
      d = await invoke('Just close it', 'None', 'CloseNow');
      break;
    }
    d = await invoke(
      a.response === 'ACCEPTED' ? 'yes' : 'no',
      a.response === 'ACCEPTED' ? 'Confirmed' : 'Denied',
    );
  }
  console.log(`\n${bold('Chat ended')}: ${d.type}`);
}

main()
  .catch((e: unknown) => {
    console.error(`\n${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  })
  .finally(() => rl.close());
