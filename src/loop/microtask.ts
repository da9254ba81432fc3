const resolved = Promise.resolve();

/**
 * Runs `callback` as a microtask, as `queueMicrotask` does, for the loop's own
 * hot paths. Node implements `queueMicrotask` in JavaScript that carries async
 * context along: about 130 ns a call on this project's test machine, against
 * 45 ns for a reaction to an already resolved promise (measured). An error the
 * callback throws still surfaces: as an unhandled rejection instead of an
 * uncaught exception.
 *
 * @internal
 */
export function runAsMicrotask(callback: () => void): void {
  void resolved.then(callback);
}
