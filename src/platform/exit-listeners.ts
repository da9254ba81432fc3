/** The reason a worker ended, as the host reports it. */
export interface ExitReason {
  exitCode?: number;
  error?: unknown;
}

/**
 * Calls its listeners once, on the first of possibly several end events (Node
 * sends 'error' then 'exit'; a terminate may race a crash).
 */
export class ExitListeners {
  private ended = false;
  private readonly listeners: Array<(reason: ExitReason) => void> = [];

  add(listener: (reason: ExitReason) => void): void {
    this.listeners.push(listener);
  }

  readonly end = (reason: ExitReason): void => {
    if (this.ended) return;
    this.ended = true;
    for (const listener of this.listeners) listener(reason);
  };
}
