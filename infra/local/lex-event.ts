/**
 * A Lex V2 code-hook event as the bot sends it to lex-adapter for one customer turn: the session,
 * the intent with its slots as filled so far, the confirmation of an offer put with ConfirmIntent.
 * What `npm run call -- --channel lex` and the tests send through the local Lambda Invoke API.
 */
export function lexCodeHookEvent(args: {
  sessionId: string;
  intent: string;
  slots: Record<string, string>;
  confirmation?: 'None' | 'Confirmed' | 'Denied';
  said?: string;
}) {
  return {
    sessionId: args.sessionId,
    inputTranscript: args.said ?? '',
    invocationSource: 'DialogCodeHook',
    sessionState: {
      sessionAttributes: {},
      intent: {
        name: args.intent,
        state: 'InProgress',
        confirmationState: args.confirmation ?? 'None',
        slots: Object.fromEntries(
          Object.entries(args.slots).map(([k, v]) => [
            k,
            { value: { interpretedValue: v, originalValue: v } },
          ]),
        ),
      },
    },
  };
}
