import type { Endpoint } from "../../src/index.js";

/** An endpoint a test feeds by hand: what the connection posts is kept in `sent`. */
export class HandFedEndpoint implements Endpoint {
  readonly sent: unknown[] = [];
  /** Called with each message as it is posted (after it is kept). */
  onPost: ((message: unknown) => void) | null = null;
  private listener: ((event: { data: unknown }) => void) | null = null;
  postMessage(message: unknown): void {
    this.sent.push(message);
    this.onPost?.(message);
  }
  addEventListener(_type: "message", listener: (event: { data: unknown }) => void): void {
    this.listener = listener;
  }
  removeEventListener(): void {
    this.listener = null;
  }
  deliver(data: unknown): void {
    this.listener?.({ data });
  }
}
