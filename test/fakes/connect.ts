import startEvent from '../fixtures/connect/start-voice-close.json';

/** The fixture's Connect contact-flow event, for another contact, caller and step parameters. */
export function connectEvent(contactId: string, phone: string, params?: Record<string, string>) {
  return {
    ...startEvent,
    Details: {
      ...startEvent.Details,
      ContactData: {
        ...startEvent.Details.ContactData,
        ContactId: contactId,
        CustomerEndpoint: { Address: phone, Type: 'TELEPHONE_NUMBER' },
      },
      ...(params ? { Parameters: params } : {}),
    },
  };
}

/** A contact flow's "Invoke AWS Lambda function" on connect-adapter, through the local Invoke API. */
export async function invokeConnect(url: string, event: unknown) {
  const res = await fetch(`${url}/2015-03-31/functions/connect-adapter/invocations`, {
    method: 'POST',
    body: JSON.stringify(event),
  });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}
