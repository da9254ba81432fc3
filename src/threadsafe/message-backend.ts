/**
 * The message backend of the thread-safe primitives: the thread that created one
 * owns its state, in the ordinary single-thread class; every other thread that
 * holds it reaches it over a MessagePort of its own, with the bridge's call and
 * cancel protocol (threads/connection.ts) — so a wait there is an ordinary remote
 * call, cancellable from either side, and the owner's asyncio rules (FIFO, no
 * barging, cancellation safety) hold for all threads at once.
 */
import { host } from "#platform";
import { RuntimeError, WorkerCrashedError } from "../errors.js";
import type { Task } from "../futures/task.js";
import type { EventLoop } from "../loop/event-loop.js";
import { Connection } from "../threads/connection.js";
import type { ThreadChannel } from "../threads/transfer-handlers.js";
import { transfer } from "../threads/transfer.js";
import { checkPort } from "../validate.js";
import { livenessToken, onThreadEnd } from "./liveness.js";

/** The operations every hold serves beside its kind's (see `MessageOwner.adopt`). */
const HOLD_OPERATIONS = ["adopt", "holdEnded", "gone", "letGo", "watchMe"];

// In a browser, a thread that may hold primitives takes its liveness lock when this
// layer loads, long before it could die holding one another holder handed it: a
// token asked for only then could come too late (see MessageClient.askToBeWatched).
void livenessToken();

let letGosAnswered = 0;
let introducedWatched = 0;

/** @internal How many of this thread's `letGo` requests the owners answered (for tests). */
export function answeredLetGos(): number {
  return letGosAnswered;
}

/** @internal How many holds this thread introduced for its workers it still watches for their end (for tests). */
export function watchedIntroducedHolds(): number {
  return introducedWatched;
}

/** One other thread's hold on an owned primitive: what it has taken, for when it dies. */
export interface Holder {
  readonly id: number;
  /** Set when its thread ended (its port closed, or the channel it was sent on ended). */
  dead: boolean;
  /** On the shared backend: its thread's slot in the shared state (claimed for it by the sender). */
  slot: number;
  /** Its thread held the primitive already and never used this hold (see `farewell`). */
  unused?: boolean;
  /** How many times the primitive was sent to its thread on this hold: once, plus each pass again (see `MessageOwner.holdVia`). */
  sent: number;
  /** Its thread let go of it and the owner agreed: the hold is ending. */
  lettingGo: boolean;
  /** Ends the hold, as its thread's death does. */
  end?: () => void;
}

/** The owning thread's side: serves the primitive's operations to each port it adopts. */
export class MessageOwner {
  private nextHolder = 1;
  /** @internal How many holds of other threads are open (for tests). */
  _openHolds = 0;
  /** The hold of the thread at the other end of each channel the primitive was sent on, while it is open. */
  private readonly heldVia = new Map<ThreadChannel, Holder>();

  constructor(
    private readonly what: string,
    readonly loop: EventLoop,
    /** The operations served to one holder (closures that know who calls). */
    private readonly operationsFor: (holder: Holder) => object,
    /** A holder's thread ended (see `adopt`). */
    private readonly onHolderDeath: (holder: Holder) => void,
    /** Whether a holder has what only its thread's death gives back: items got and not done, the lock, permits, a place at a barrier. */
    private readonly holdsSomething: (holder: Holder) => boolean,
  ) {}

  /**
   * A port for another thread: its other end is served here. `via`, the channel it
   * is sent on, tells when that thread is gone (in browsers nothing else does).
   */
  portForAnotherThread(via?: ThreadChannel, slot = 0): { port: unknown; hold: number } {
    const { port1, port2 } = host.createChannel();
    return { port: port2, hold: this.adopt(port1, via, slot).id };
  }

  /**
   * The open hold of the thread at the other end of `via`, if it has one: the
   * primitive is sent there again on it, with no new port, connection or slot (a
   * queue passed with every call of a pool cost ~150-250 µs more a call with them).
   * Counted in `Holder.sent`, so that a let-go asked before this pass arrives is
   * refused.
   */
  holdVia(via: ThreadChannel): Holder | null {
    const holder = this.heldVia.get(via);
    if (holder === undefined || holder.dead || holder.lettingGo) return null;
    holder.sent++;
    return holder;
  }

  /**
   * A pass on `via` that made or reused hold `hold` was never sent: a pass again
   * (see `holdVia`) is not counted; a new hold ends at once, unused (its slot is
   * freed), so that the next pass on `via` makes a new one rather than count on a
   * port the thread never got. Returns whether it found the hold.
   */
  unsend(via: ThreadChannel, hold: number, again: boolean): boolean {
    const holder = this.heldVia.get(via);
    if (holder === undefined || holder.id !== hold) return false;
    if (again) {
      if (holder.sent > 1) holder.sent--;
    } else {
      holder.unused = true;
      holder.end?.();
    }
    return true;
  }

  /**
   * Serves the operations on `port` to whichever thread holds its other end; on the
   * shared backend `slot` is that thread's slot in the shared state. Returns the
   * hold, and what ends it (as its thread's death does); `ended` is called when it
   * has ended, however it did.
   */
  adopt(port: unknown, via?: ThreadChannel, slot: unknown = 0, ended?: () => void): { id: number; end: () => void } {
    checkPort(port, `${this.what}: adopt`);
    const holder: Holder = { id: this.nextHolder++, dead: false, slot: typeof slot === "number" && Number.isInteger(slot) && slot > 0 ? slot : 0, sent: 1, lettingGo: false };
    this._openHolds++;
    if (via !== undefined) this.heldVia.set(via, holder);
    // Holds this holder's thread handed on to workers it started, by its number for
    // each: a browser port does not tell us when such a worker ends, so the holder
    // does ("holdEnded"), and they end with the holder's thread at the latest.
    const introduced = new Map<number, () => void>();
    const kindOperations = this.operationsFor(holder);
    // A kind's operation of the same name would silently lose to these (a lock's release once did).
    const clash = HOLD_OPERATIONS.find((name) => name in kindOperations);
    if (clash !== undefined) throw new RuntimeError(`asyncio-ts internal error: ${this.what} serves an operation named ${clash}, which its holds use`);
    const operations = {
      ...kindOperations,
      // A holder passing the primitive onward hands the new thread's port (and slot) to us.
      adopt: (next: unknown, nextSlot: unknown, hold: unknown) => {
        if (!isHoldNumber(hold)) {
          this.adopt(next, undefined, nextSlot);
          return;
        }
        // Forgotten once it ends (its thread let go, say), so that this hold can be let go
        // of too; the introducer stops watching for that worker's end.
        const { end } = this.adopt(next, undefined, nextSlot, () => {
          introduced.delete(hold);
          if (!connection.isFailed) connection.callSoon("introducedEnded", [hold]);
        });
        introduced.set(hold, end);
      },
      holdEnded: (hold: unknown) => {
        if (!isHoldNumber(hold)) return;
        introduced.get(hold)?.();
        introduced.delete(hold);
      },
      // The thread already held it: this hold is over (its slot was never used).
      gone: () => {
        holder.unused = true;
        died();
      },
      // The holder's thread can be watched by this token (see MessageClient.askToBeWatched).
      watchMe: (token: unknown) => {
        if (typeof token !== "string" || holder.dead || stopWatchingThread !== null) return;
        stopWatchingThread = onThreadEnd(token, died);
      },
      // The thread let go of its handle (garbage-collected there, see
      // MessageClient.letGoIfUnused): the hold ends as a death would, which changes nothing
      // for a hold that holds nothing. One that does, or whose thread handed it on
      // to workers of its own, stays until that thread ends, so that what happens
      // then never depends on when a collection ran. `sent`: how many times that
      // thread had received the primitive on this hold; a pass again since then is
      // on its way, so the hold is still wanted.
      letGo: (sent: unknown): boolean => {
        if (sent !== holder.sent || holder.dead || holder.lettingGo || introduced.size > 0 || this.holdsSomething(holder)) return false;
        holder.lettingGo = true;
        this.loop.callSoon(() => {
          died(); // after the answer went out (messages leave before the next iteration)
          (port as { close?: () => void }).close?.();
        });
        return true;
      },
    };
    let stopWatchingThread: (() => void) | null = null;
    const connection = new Connection(host.adaptPort(port), this.loop, operations, { peerName: `a thread sharing ${this.what}` });
    host.keepAlive(port, false); // the owner is kept alive by its own work, not by holders
    const died = (): void => {
      if (holder.dead) return; // told by the port and by the channel alike
      holder.dead = true;
      this._openHolds--;
      if (via !== undefined && this.heldVia.get(via) === holder) this.heldVia.delete(via);
      stopWatching?.();
      stopWatchingThread?.();
      connection.fail(new WorkerCrashedError(`a thread sharing ${this.what} ended`));
      this.onHolderDeath(holder);
      for (const end of introduced.values()) end();
      introduced.clear();
      ended?.();
    };
    host.onPortClose(port, died);
    const stopWatching = via?._whenGone(died);
    holder.end = died;
    return { id: holder.id, end: died };
  }
}

/** Another thread's side: calls the owner's operations over its own port. */
export class MessageClient {
  private readonly connection: Connection;
  private pending = 0;
  private nextHold = 1;
  private readonly stopWatchingOwner: (() => void) | null;
  /** The holders made on this hold that are alive (not yet collected). */
  private live = 0;
  /** How many times the primitive arrived on this hold: once, plus each pass again. */
  private received = 1;
  /** A let-go is on its way to the owner. */
  private asking = false;
  /** Called once the hold has ended (the owner agreed to let go). */
  onEnded: (() => void) | null = null;
  /** The holds introduced for this thread's workers, while open: what stops watching for that worker's end. */
  private readonly introduced = new Map<number, () => void>();

  /**
   * `ownerChannel`: the channel to the owner's thread, when it came straight from
   * there; else `ownerToken`, the owner's liveness token, tells when the owner ends
   * where the port does not (a browser).
   */
  constructor(
    what: string,
    private readonly port: unknown,
    readonly loop: EventLoop,
    ownerChannel?: ThreadChannel,
    /** The owner's liveness token, as the wire gave it (passed on with the primitive). */
    readonly ownerToken: string | null = null,
  ) {
    checkPort(port, what);
    // The owner says when a hold this thread introduced has ended (see portForAnotherThread).
    const operations = {
      introducedEnded: (hold: unknown): void => {
        if (isHoldNumber(hold)) this.stopWatching(hold);
      },
    };
    this.connection = new Connection(host.adaptPort(port), loop, operations, { peerName: `the thread that owns ${what}` });
    host.keepAlive(port, false);
    const ownerGone = (): void => {
      this.connection.fail(new WorkerCrashedError(`the thread that owns ${what} ended: it can no longer be used`));
      this.ended();
    };
    host.onPortClose(port, ownerGone);
    this.stopWatchingOwner = ownerChannel?._whenGone(ownerGone) ?? (ownerToken !== null ? onThreadEnd(ownerToken, ownerGone) : null);
  }

  /**
   * Lets the owner learn when this thread ends, for a hold that came from another
   * holder: in a browser neither its port nor the channel it came on tells the
   * owner then (a worker handed a lock by its sibling, which dies holding it). The
   * token goes once this thread can be watched by it (see `livenessToken`).
   */
  askToBeWatched(): void {
    void livenessToken()?.then((token) => {
      if (!this.connection.isFailed) this.connection.callSoon("watchMe", [token]);
    });
  }

  /** A holder was made on this hold (see `released`). */
  held(): void {
    this.live++;
  }

  /** The owner sent the primitive here again on this hold (see `MessageOwner.holdVia`). */
  receivedAgain(): void {
    this.received++;
  }

  /** A holder made on this hold was garbage-collected: once none is left, let go. */
  released(): void {
    this.live--;
    this.letGoIfUnused();
  }

  /**
   * Asks the owner to end this hold if no holder here uses it, and closes the port
   * if it agreed. Without this, every primitive ever passed to a thread stayed
   * alive, on both sides, as long as that thread did. Refused because a pass again
   * crossed the request, it asks again; refused because the hold holds something,
   * it stays until this thread ends.
   */
  letGoIfUnused(): void {
    if (this.live > 0 || this.asking || this.connection.isFailed) return;
    const received = this.received;
    let answer: Task<boolean>;
    try {
      answer = this.connection.call<boolean>("letGo", [received]);
    } catch {
      return; // this thread's loop is closed: it is done with the primitive anyway
    }
    this.asking = true;
    answer.addDoneCallback(() => {
      this.asking = false;
      letGosAnswered++;
      if (answer.cancelled() || answer.exception() !== undefined || answer.result() !== true) {
        if (this.received !== received) this.letGoIfUnused();
        return;
      }
      this.stopWatchingOwner?.();
      this.connection.fail(new RuntimeError("this thread let go of the primitive"));
      (this.port as { close?: () => void }).close?.();
      this.ended();
    });
  }

  /** The hold is over: nobody is left to tell of its introduced holds' ends. */
  private ended(): void {
    for (const hold of [...this.introduced.keys()]) this.stopWatching(hold);
    this.onEnded?.();
  }

  private stopWatching(hold: number): void {
    const stop = this.introduced.get(hold);
    if (stop === undefined) return;
    this.introduced.delete(hold);
    introducedWatched--;
    stop();
  }

  /**
   * Runs the owner's operation `name`; the task ends with its result. While a call
   * is pending the port keeps this thread alive (a Node worker waiting on a remote
   * get must not exit), and not otherwise.
   */
  call<T>(name: string, args: readonly unknown[] = []): Task<T> {
    const task = this.connection.call<T>(name, args);
    if (this.pending++ === 0) host.keepAlive(this.port, true);
    task.addDoneCallback(this.settled);
    return task;
  }

  private readonly settled = (): void => {
    if (--this.pending === 0) host.keepAlive(this.port, false);
  };

  /** Whether the owner's thread is gone (or this hold was closed). */
  get ownerGone(): boolean {
    return this.connection.isFailed;
  }

  /** Sends the owner a message that needs no answer. */
  tell(name: string, args: readonly unknown[]): void {
    this.connection.callSoon(name, args);
  }

  /**
   * A port for another thread: the owner adopts its other end (with `slot`, on the
   * shared backend). Sent to a worker this thread started (`via`), the hold gets a
   * number, and the owner is told when that worker ends: only this thread sees it.
   */
  portForAnotherThread(slot = 0, via?: ThreadChannel): unknown {
    const { port1, port2 } = host.createChannel();
    const hold = via?._toChild === true ? this.nextHold++ : 0;
    this.connection.callSoon("adopt", [transfer(port1 as object, [port1 as object]), slot, hold]);
    if (hold !== 0) {
      // Watched until that worker ends or the owner says the hold has (the worker
      // held the primitive already, or let go): a primitive handed on with every
      // call kept one listener per call until then.
      let workerEnded = false;
      const stop = via!._whenGone(() => {
        workerEnded = true;
        this.stopWatching(hold);
        // Once the owner is gone too there is nobody to tell.
        if (!this.connection.isFailed) this.connection.callSoon("holdEnded", [hold]);
      });
      if (!workerEnded) {
        this.introduced.set(hold, stop);
        introducedWatched++;
      }
    }
    return port2;
  }

  /**
   * This hold is not needed (the thread held the primitive already, or its holder
   * could not be made here): tells the owner, then closes the port.
   */
  farewell(): void {
    this.connection.callSoon("gone", []);
    this.stopWatchingOwner?.();
    // The message goes out in a microtask queued by callSoon; close after it.
    queueMicrotask(() => (this.port as { close?: () => void }).close?.());
    this.ended();
  }

  /** Tells the owner over `port`, which no holder uses, that the hold it serves there is not needed. */
  static farewellOn(port: unknown, what: string, loop: EventLoop): void {
    new MessageClient(what, port, loop).farewell();
  }
}

/** A hold number from another thread: a positive integer (anything else is ignored). */
function isHoldNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}
