import { PORTFOLIO_SEGMENTS } from '../application/portfolio';
import type { PortfolioPlacement } from '../ports';

/**
 * Starts the portfolio's placement on AWS: one asynchronous invocation of PlacePortfolio per segment
 * (Lambda queues and retries them; each records its progress). The SDK is loaded on first use.
 */
export class LambdaPortfolioPlacement implements PortfolioPlacement {
  private client:
    | Promise<{ send: (c: unknown) => Promise<unknown>; make: (p: unknown) => unknown }>
    | undefined;
  constructor(private readonly functionName: string) {}

  async start(cause: string): Promise<void> {
    this.client ??= import('./sdk/lambda').then(({ InvokeCommand, LambdaClient }) => {
      const c = new LambdaClient({});
      return {
        send: (x: unknown) => c.send(x as never),
        make: (p: unknown) => new InvokeCommand(p as never),
      };
    });
    const { send, make } = await this.client;
    await Promise.all(
      Array.from({ length: PORTFOLIO_SEGMENTS }, (_, segment) =>
        send(
          make({
            FunctionName: this.functionName,
            InvocationType: 'Event',
            Payload: new TextEncoder().encode(
              JSON.stringify({ segment, totalSegments: PORTFOLIO_SEGMENTS, cause }),
            ),
          }),
        ),
      ),
    );
  }
}
