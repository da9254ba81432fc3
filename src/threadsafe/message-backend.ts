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

/** The operations every hold serves beside its kind's (see `MessageOwner.adopt`). */
const HOLD_OPERATIONS = ["adopt", "holdEnded", "gone", "letGo"];

let letGosAnswered = 0;

/** @internal How many of this thread's `letGo` requests the owners answered (for tests). */
export function answeredLetGos(): number {
  return letGosAnswered;
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
}

/** The owning thread's side: serves the primitive's operations to each port it adopts. */
export class MessageOwner {
  private nextHolder = 1;
  /** @internal How many holds of other threads are open (for tests). */
  _openHolds = 0;

  constructor(
    private readonly what: string,
    private readonly loop: EventLoop,
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
  portForAnotherThread(via?: ThreadChannel, slot = 0): unknown {
    const { port1, port2 } = host.createChannel();
    this.adopt(port1, via, slot);
    return port2;
  }

  /**
   * Serves the operations on `port` to whichever thread holds its other end; on the
   * shared backend `slot` is that thread's slot in the shared state. Returns what
   * ends that hold (as its thread's death does).
   */
  adopt(port: unknown, via?: ThreadChannel, slot: unknown = 0): () => void {
    checkPort(port, `${this.what}: adopt`);
    const holder: Holder = { id: this.nextHolder++, dead: false, slot: typeof slot === "number" && Number.isInteger(slot) && slot > 0 ? slot : 0 };
    this._openHolds++;
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
        const end = this.adopt(next, undefined, nextSlot);
        if (isHoldNumber(hold)) introduced.set(hold, end);
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
      // The thread let go of its handle (garbage-collected there, see
      // MessageClient.letGo): the hold ends as a death would, which changes nothing
      // for a hold that holds nothing. One that does, or whose thread handed it on
      // to workers of its own, stays until that thread ends, so that what happens
      // then never depends on when a collection ran.
      letGo: (): boolean => {
        if (holder.dead || introduced.size > 0 || this.holdsSomething(holder)) return false;
        this.loop.callSoon(() => {
          died(); // after the answer went out (messages leave before the next iteration)
          (port as { close?: () => void }).close?.();
        });
        return true;
      },
    };
    const connection = new Connection(host.adaptPort(port), this.loop, operations, { peerName: `a thread sharing ${this.what}` });
    host.keepAlive(port, false); // the owner is kept alive by its own work, not by holders
    const died = (): void => {
      if (holder.dead) return; // told by the port and by the channel alike
      holder.dead = true;
      this._openHolds--;
      stopWatching?.();
      connection.fail(new WorkerCrashedError(`a thread sharing ${this.what} ended`));
      this.onHolderDeath(holder);
      for (const end of introduced.values()) end();
      introduced.clear();
    };
    host.onPortClose(port, died);
    const stopWatching = via?._whenGone(died);
    return died;
  }
}

/** Another thread's side: calls the owner's operations over its own port. */
export class MessageClient {
  private readonly connection: Connection;
  private pending = 0;
  private nextHold = 1;
  private readonly stopWatchingOwner: (() => void) | null;

  /** `ownerChannel`: the channel to the owner's thread, when it came straight from there. */
  constructor(
    what: string,
    private readonly port: unknown,
    loop: EventLoop,
    ownerChannel?: ThreadChannel,
  ) {
    checkPort(port, what);
    this.connection = new Connection(host.adaptPort(port), loop, {}, { peerName: `the thread that owns ${what}` });
    host.keepAlive(port, false);
    const ownerGone = (): void => this.connection.fail(new WorkerCrashedError(`the thread that owns ${what} ended: it can no longer be used`));
    host.onPortClose(port, ownerGone);
    this.stopWatchingOwner = ownerChannel?._whenGone(ownerGone) ?? null;
  }

  /**
   * This thread let go of its handle (it was garbage-collected): asks the owner to
   * end the hold, and closes the port if it did. Without this, every primitive ever
   * passed to a thread stayed alive, on both sides, as long as that thread did.
   */
  letGo(): void {
    if (this.connection.isFailed) return;
    let answer: Task<boolean>;
    try {
      answer = this.connection.call<boolean>("letGo", []);
    } catch {
      return; // this thread's loop is closed: it is done with the primitive anyway
    }
    answer.addDoneCallback(() => {
      letGosAnswered++;
      if (answer.cancelled() || answer.exception() !== undefined || answer.result() !== true) return; // it still holds something
      this.stopWatchingOwner?.();
      this.connection.fail(new RuntimeError("this thread let go of the primitive"));
      (this.port as { close?: () => void }).close?.();
    });
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
      via!._whenGone(() => {
        // Once the owner is gone too there is nobody to tell.
        if (!this.connection.isFailed) this.connection.callSoon("holdEnded", [hold]);
      });
    }
    return port2;
  }

  /** This hold is not needed (the thread held the primitive already): tells the owner, then closes the port. */
  farewell(): void {
    this.connection.callSoon("gone", []);
    // The message goes out in a microtask queued by callSoon; close after it.
    queueMicrotask(() => (this.port as { close?: () => void }).close?.());
  }
}

/** A hold number from another thread: a positive integer (anything else is ignored). */
function isHoldNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}
