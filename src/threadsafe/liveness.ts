/**
 * How a thread learns that another one ended where no port tells it and it did not
 * spawn that thread (in Chromium, a worker handed a lock by its sibling, which then
 * dies): through Web Locks. Each thread that asks for a token takes a lock of its
 * own for the rest of its life; the host releases a thread's locks when it ends, so
 * a request for that lock from another thread is granted exactly then. Where Web
 * Locks are missing (Node 20, a page that is not a secure context) there is no
 * token: Node's ports tell of deaths themselves.
 */

/** What this module needs of `navigator.locks` (typed here: the package's types stand without the DOM library). */
interface LockManagerLike {
  request(name: string, callback: () => unknown): Promise<unknown>;
  request(name: string, options: { signal: AbortSignal }, callback: () => unknown): Promise<unknown>;
}

const PREFIX = "asyncio-ts/thread/";
/** What a token from another thread may be: this module's own form (anything else is never watched). */
const TOKEN = /^[a-z0-9]{8,40}$/;

/** Web Locks, which only a secure context has (https, localhost). */
function lockManager(): LockManagerLike | undefined {
  return (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
}

let ownToken: Promise<string> | null | undefined;
let heldToken: string | null = null;

/**
 * A name by which other threads can learn when this thread ends (`onThreadEnd`),
 * given once this thread can be watched by it: once its lock is held (taken on the
 * first call). `null` without Web Locks.
 */
export function livenessToken(): Promise<string> | null {
  if (ownToken !== undefined) return ownToken;
  const locks = lockManager();
  if (locks === undefined) return (ownToken = null);
  const token = (Math.random().toString(36).slice(2) + Date.now().toString(36)).slice(0, 40);
  ownToken = new Promise<string>((resolve) => {
    locks
      .request(PREFIX + token, () => {
        heldToken = token;
        resolve(token);
        return new Promise(() => {}); // held until this thread ends
      })
      .catch(() => {}); // refused (a document going away): nobody can watch this thread
  });
  return ownToken;
}

/** This thread's token if its lock is held already (see `livenessToken`), else `null`. */
export function heldLivenessToken(): string | null {
  return heldToken;
}

/**
 * Calls `listener` once the thread whose `livenessToken` is `token` has ended (at
 * once for a token no live thread holds). Returns what stops watching. A string not
 * of a token's form (another thread's input) is never called back for.
 */
export function onThreadEnd(token: string, listener: () => void): () => void {
  const locks = lockManager();
  if (locks === undefined || !TOKEN.test(token)) return () => {};
  const stop = new AbortController();
  locks
    .request(PREFIX + token, { signal: stop.signal }, () => {
      // Granted: that thread's lock was released, so it ended. Released again at once.
      if (!stop.signal.aborted) listener();
    })
    .catch(() => {}); // stopped before it was granted (an AbortError)
  return () => stop.abort();
}
