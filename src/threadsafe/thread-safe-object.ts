/**
 * What every thread-safe primitive shares: it is owned by the thread that made it
 * (which holds the real state) and held by any number of others (which reach it
 * through `MessageClient`); it crosses threads as a top-level argument or result of
 * a bridge call, through one transfer handler registered here.
 */
import { DataCloneError, RuntimeError, describeValue } from "../errors.js";
import { isPortLike } from "../validate.js";
import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";
import type { TransferableObject } from "../platform/endpoint.js";
import { type ThreadChannel, registerTransferHandler } from "../threads/transfer-handlers.js";
import { heldLivenessToken } from "./liveness.js";
import { type Holder, MessageClient, MessageOwner } from "./message-backend.js";
import { SharedCore } from "./shared/core.js";

/**
 * Where a thread-safe primitive keeps its state, chosen when it is made and kept
 * wherever it goes. `"shared"`: in shared memory, which every thread reads and
 * changes directly (needs `SharedArrayBuffer` and `Atomics.waitAsync`, and in a
 * browser a cross-origin isolated page). `"message"`: the creating thread owns it,
 * the others reach it by messages (works everywhere). `"auto"` (the default):
 * `"shared"` where this context has it, else `"message"`.
 */
export type ThreadSafeBackend = "auto" | "shared" | "message";

/** @internal What a primitive sends so that another thread can rebuild a holder of it. */
interface Wire {
  readonly kind: string;
  /** Which primitive: its owner thread's token and a number there. */
  readonly id: string;
  readonly port: unknown;
  /** The kind's own fields (its options; on the message backend `state`, a snapshot of its state). */
  readonly fields: Record<string, unknown>;
  /** Sent by its owner: then the channel it came on leads to the owner, whose end ends it. */
  readonly fromOwner: boolean;
  /** From the owner: which hold of the receiving thread the port is (0 otherwise). */
  readonly hold: number;
  /** The owner's liveness token, if it had one (see liveness.ts): how a thread it did not send this to learns of its end. */
  readonly ownerToken: string | null;
}

/**
 * @internal What the owner sends instead, to a thread that holds the primitive on
 * this channel already (see `MessageOwner.holdVia`): no port, and none of the fields
 * that thread got with its hold, only the state snapshot (message backend). A tuple
 * of primitives: Node clones each object of a message at a cost of about a
 * microsecond, and a queue handed over with every call is sent this way each time.
 */
type AgainWire = readonly [kind: string, id: string, hold: number, state: unknown];

/** A hold this thread got from a primitive's owner: where a pass again lands, and the fields it came with. */
interface OpenHold {
  readonly client: MessageClient;
  readonly fields: Record<string, unknown>;
}

/** @internal How each kind rebuilds a holder on the receiving thread. */
const kinds = new Map<string, (client: MessageClient, fields: Record<string, unknown>) => ThreadSafeObject>();

/** @internal A holder of a primitive owned by another thread. */
export type Client = MessageClient;

// This thread's primitives by id, so that one coming back to its owner is the
// original again, not a holder talking to itself over a port. Each thread has its
// own module instance, so a module variable is per thread.
const threadToken = Math.random().toString(36).slice(2) + Date.now().toString(36);
let ownedCount = 0;
const ownedHere = new Map<string, WeakRef<ThreadSafeObject>>();
// The holders this thread has, by id: a primitive passed here again (a queue given
// with every call) reuses its holder, rather than a new port and connection each time.
const heldHere = new Map<string, WeakRef<ThreadSafeObject>>();
/**
 * A primitive collected on this thread leaves its map (unless a newer one of the
 * same id took its place meanwhile), and a holder lets go of its hold, so that
 * neither its port nor its owner's state outlive every handle to it.
 */
const forget = new FinalizationRegistry<{ map: Map<string, WeakRef<ThreadSafeObject>>; id: string; client?: MessageClient }>(({ map, id, client }) => {
  if (map.get(id)?.deref() === undefined) map.delete(id);
  client?.released();
});

/** This thread's holds that came straight from their owners, while open, by primitive id and hold (see `holdKey`). */
const openHolds = new Map<string, OpenHold>();

/** Structured clone refuses an object with a function in it: a primitive buried in a value is never silently copied. */
function notCloneable(): never {
  throw new DataCloneError("A thread-safe primitive crosses threads only as a top-level argument or result of a call: pass it as an argument of its own.");
}

/** @internal A count another thread sent (a snapshot's size): a non-negative safe integer, else 0. */
export function countFrom(value: unknown): number {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : 0;
}

/** @internal Passed to a constructor instead of options: make an empty holder, to be attached. */
export const ATTACHING: unique symbol = Symbol("attaching a holder");

/** @internal */
export abstract class ThreadSafeObject {
  /** @internal Set on the owning thread. */
  protected owner: MessageOwner | null = null;
  /** @internal Set on every other thread. */
  protected client: MessageClient | null = null;
  /** @internal The same on every thread that holds it. */
  _id = "";
  /** @internal A function-valued own property, so structured clone refuses a nested holder. */
  readonly _threadBoundary = notCloneable;

  /** @internal Which backend keeps its state (chosen where it was made). */
  protected sharedBackend = false;

  /** Where its state lives: `"shared"` memory or the creating thread (`"message"`), as chosen where it was made. */
  get backend(): "shared" | "message" {
    return this.sharedBackend ? "shared" : "message";
  }

  /** The name of the kind in messages: `Queue`, `Lock`, … */
  protected abstract readonly kind: string;

  /** @internal On the creating thread: serve `operationsFor(holder)` to the threads it is passed to. */
  protected own(operationsFor: (holder: Holder) => object, onHolderDeath: (holder: Holder) => void = () => {}, shared = false): void {
    this.sharedBackend = shared;
    const ended = (holder: Holder): void => {
      // A hold its thread never used (it held the primitive already) has nothing to clean up.
      if (holder.unused === true) this.sharedCore()?.freeUnusedSlot(holder.slot);
      else onHolderDeath(holder);
    };
    this.owner = new MessageOwner(`a ThreadSafe${this.kind}`, this.ownerLoop(), operationsFor, ended, (holder) => this.holdsSomething(holder));
    this._id = `${threadToken}:${++ownedCount}`;
    ownedHere.set(this._id, new WeakRef(this));
    forget.register(this, { map: ownedHere, id: this._id });
  }

  /**
   * @internal On the creating thread, backend "shared": the state is in shared
   * memory, so nothing is served by messages; the holders' ports only tell when a
   * thread dies, and `threadDied` gets its slot.
   */
  protected ownShared(threadDied: (slot: number) => void): void {
    this.own(
      () => ({}),
      (holder) => threadDied(holder.slot),
      true,
    );
  }

  /** @internal The fields another thread needs to rebuild a holder, a new object each time; the state goes apart. */
  protected abstract wireFields(): Record<string, unknown>;

  /** @internal On the message backend, a snapshot of the state for a thread that holds it (sent with every pass); else undefined. */
  protected abstract wireState(): unknown;

  /** @internal `via`: the channel to the thread it is sent to; its end is that holder's death. */
  _serialize(via?: ThreadChannel): [Wire | AgainWire, TransferableObject[]] {
    const again = via !== undefined ? (this.owner?.holdVia(via) ?? null) : null;
    // That thread holds it on this channel already: no new port, connection or slot.
    if (again !== null) return [[this.kind, this._id, again.id, this.wireState()], []];
    // On the shared backend the sender claims the receiving thread's slot, so that
    // the owner knows it before that thread can die holding anything.
    const core = this.sharedCore();
    const slot = core !== null ? core.claimSlotForAnotherThread() : 0;
    const { port, hold } = this.owner !== null ? this.owner.portForAnotherThread(via, slot) : { port: this.client!.portForAnotherThread(slot, via), hold: 0 };
    const fields = this.wireFields();
    const state = this.wireState();
    if (state !== undefined) fields.state = state;
    if (core !== null) fields.slot = slot;
    const ownerToken = this.owner !== null ? heldLivenessToken() : this.client!.ownerToken;
    return [{ kind: this.kind, id: this._id, port, fields, fromOwner: this.owner !== null, hold, ownerToken }, [port as object]];
  }

  /**
   * @internal A wire form `_serialize` made never left this thread (the message
   * carrying it could not be sent): what it took is given back, or the receiving
   * thread would be counted as holding what it never got.
   */
  _abandon(wire: Wire | AgainWire, via?: ThreadChannel): void {
    if (isAgainWire(wire)) {
      if (via !== undefined) this.owner?.unsend(via, wire[2], true);
      return;
    }
    if (this.owner !== null && via !== undefined && this.owner.unsend(via, wire.hold, false)) {
      (wire.port as { close?: () => void }).close?.();
      return;
    }
    // A holder's pass: its port never left, and over it the owner hears that the
    // hold made for it (and, on the shared backend, the slot claimed for it) is not
    // needed, as from a receiver that held the primitive already.
    MessageClient.farewellOn(wire.port, `a ThreadSafe${this.kind}`, this.client?.loop ?? this.owner!.loop);
  }

  /** @internal The shared state, on the shared backend. */
  protected sharedCore(): SharedCore | null {
    return null;
  }

  /**
   * @internal On the creating thread: whether another thread's hold has what only
   * that thread's death gives back (see `Holder`); such a hold is not let go of
   * early. On the shared backend that is its slot's count (items got and not done,
   * permits, a place at a barrier); kinds add their own.
   */
  protected holdsSomething(holder: Holder): boolean {
    const core = this.sharedCore();
    return core !== null && core.region.perSlot(holder.slot) > 0;
  }

  /**
   * @internal On a holder: runs the owner's operation `name` without waiting for it
   * (a `release()`, a `set()`, which asyncio does not make wait); if the owner refuses
   * it, the error reaches this loop's exception handler.
   */
  protected sendAndReport(name: string, args: readonly unknown[] = []): void {
    const task = this.client!.call<unknown>(name, args);
    task.addDoneCallback(() => {
      if (task.cancelled()) return;
      const error = task.exception();
      if (error !== undefined) task.getLoop().callExceptionHandler({ message: `ThreadSafe${this.kind}.${name}(): the owning thread refused it`, exception: error });
    });
  }

  /** @internal On a holder rebuilt with shared state. */
  protected attachedShared(): void {
    this.sharedBackend = true;
  }

  /** @internal On the creating thread: how many holds of other threads are open (for tests). */
  _openHolds(): number {
    return this.owner?._openHolds ?? 0;
  }

  /** Whether this thread made it (on the message backend, the one that keeps its state). */
  get isOwner(): boolean {
    return this.owner !== null;
  }

  private ownerLoop(): EventLoop {
    try {
      return getRunningLoop();
    } catch {
      throw new RuntimeError(`A ThreadSafe${this.kind} is served by the loop of the thread that makes it: make it inside run(), a started loop, or a worker that called expose().`);
    }
  }

  /** @internal Registers how the receiving thread rebuilds a holder of `kind`. */
  static _registerKind(kind: string, rebuild: (client: MessageClient, fields: Record<string, unknown>) => ThreadSafeObject): void {
    kinds.set(kind, rebuild);
  }
}

/** Whether `data` has the shape of a pass again (see `AgainWire`); its fields are checked where they are used. */
function isAgainWire(data: unknown): data is AgainWire {
  return Array.isArray(data) && data.length === 4;
}

/** How `openHolds` keys hold `hold` of primitive `id` (null: not a hold an owner made). */
function holdKey(id: unknown, hold: unknown): string | null {
  return typeof id === "string" && Number.isSafeInteger(hold) && (hold as number) > 0 ? `${id} ${hold as number}` : null;
}

/** The open hold a pass again says it came on, if this thread has it. */
function openHoldOf(wire: AgainWire): OpenHold | undefined {
  const key = holdKey(wire[1], wire[2]);
  return key !== null ? openHolds.get(key) : undefined;
}

/**
 * A wire form from another thread that will not be rebuilt here: the hold the
 * sender made for this thread ends (see `endUnusedHold`), or, sent again on a hold
 * this thread has, the pass is counted there (so that the hold can still be let go).
 * Unchecked data: anything that is not such a form is left alone.
 */
function discardWire(data: unknown, via?: ThreadChannel): void {
  if (isAgainWire(data)) {
    const client = openHoldOf(data)?.client;
    client?.receivedAgain();
    client?.letGoIfUnused();
  } else if (typeof data === "object" && data !== null && isPortLike((data as Wire).port)) {
    endUnusedHold(data as Wire, via);
  }
}

/**
 * The hold the sender made for this thread, which no holder here will use, ends.
 * One its owner made on the channel it came on is let go of as a collected holder's
 * is: the owner may send the primitive again on that hold (with no port) before it
 * hears from this thread, since that news travels on another port, and the let-go
 * protocol is what handles the crossing. Any other ends at once: the owner is told
 * over its port (closing the port is not enough, since a browser does not tell the
 * other end).
 */
function endUnusedHold(wire: Wire, via?: ThreadChannel): void {
  if (fromOwnerOnHold(wire)) clientOn(wire, via).letGoIfUnused();
  else MessageClient.farewellOn(wire.port, `a ThreadSafe${typeof wire.kind === "string" ? wire.kind : "Object"}`, getRunningLoop());
}

/** Whether the owner sent it on a hold that it may send it again on (see `MessageOwner.holdVia`). */
function fromOwnerOnHold(wire: Wire): boolean {
  return wire.fromOwner === true && holdKey(wire.id, wire.hold) !== null;
}

/** A client on the port a wire form brought: the hold its sender made for this thread. */
function clientOn(wire: Wire, via?: ThreadChannel): MessageClient {
  // From the owner itself, the channel's end is the owner's end (the one death a
  // Chromium port does not report).
  const ownerToken = typeof wire.ownerToken === "string" ? wire.ownerToken : null;
  const client = new MessageClient(`a ThreadSafe${String(wire.kind)}`, wire.port, getRunningLoop(), wire.fromOwner === true ? via : undefined, ownerToken);
  const hold = holdKey(wire.id, wire.hold);
  if (wire.fromOwner === true && hold !== null) {
    openHolds.set(hold, { client, fields: wire.fields });
    client.onEnded = () => openHolds.delete(hold);
  } else if (wire.fromOwner !== true) {
    client.askToBeWatched();
  }
  return client;
}

/** Checks a wire form that came from another thread and rebuilds its holder here. */
function rebuild(data: unknown, via?: ThreadChannel): ThreadSafeObject {
  if (isAgainWire(data)) return rebuildAgain(data);
  const wire = data as Wire;
  const shaped = typeof data === "object" && data !== null && typeof wire.kind === "string" && typeof wire.fields === "object" && wire.fields !== null;
  const make = shaped ? kinds.get(wire.kind) : undefined;
  if (make === undefined) {
    discardWire(data, via);
    throw new TypeError(shaped ? unknownKind(wire.kind) : `not a thread-safe primitive's wire form: ${describeValue(data)}`);
  }
  const id = typeof wire.id === "string" ? wire.id : "";
  const known = ownedHere.get(id)?.deref() ?? heldHere.get(id)?.deref();
  if (known !== undefined) {
    // Back at its owner, or held here already: the hold made for it is not needed.
    endUnusedHold(wire, via);
    return known;
  }
  const client = clientOn(wire, via); // checks the port
  return holderOn(client, make, wire.fields, id, fromOwnerOnHold(wire));
}

/** A pass again on a hold this thread has: its holder, or (collected since) a new one from the fields the hold came with. */
function rebuildAgain(wire: AgainWire): ThreadSafeObject {
  const [kind, id, , state] = wire;
  const make = typeof kind === "string" ? kinds.get(kind) : undefined;
  const open = openHoldOf(wire);
  open?.client.receivedAgain(); // counted before anything is refused, so that the hold can still be let go
  if (make === undefined) {
    open?.client.letGoIfUnused();
    throw new TypeError(typeof kind === "string" ? unknownKind(kind) : `not a thread-safe primitive's wire form: ${describeValue(wire)}`);
  }
  if (open === undefined) throw new TypeError(`a ThreadSafe${kind} arrived with no port, on a hold this thread does not have`);
  const known = heldHere.get(id)?.deref();
  if (known === undefined) return holderOn(open.client, make, state !== undefined ? { ...open.fields, state } : open.fields, id, true);
  open.client.letGoIfUnused(); // its own holder may be gone: this one is not on it
  return known;
}

function unknownKind(kind: string): string {
  return `unknown thread-safe kind ${JSON.stringify(kind)}: import ThreadSafe${kind} in this thread's code`;
}

/**
 * A new holder on `client`, known here by `id` until it is collected (then `client`
 * hears of it). If the kind refuses the fields (a codec this thread does not
 * define), the hold ends as an unused one does: let go of if the owner made it on
 * the channel it came on (`onOwnersHold`), else at once.
 */
function holderOn(
  client: MessageClient,
  make: (client: MessageClient, fields: Record<string, unknown>) => ThreadSafeObject,
  fields: Record<string, unknown>,
  id: string,
  onOwnersHold: boolean,
): ThreadSafeObject {
  let held: ThreadSafeObject;
  try {
    held = make(client, fields);
  } catch (error) {
    if (onOwnersHold) client.letGoIfUnused();
    else client.farewell();
    throw error;
  }
  held._id = id;
  if (id !== "") heldHere.set(id, new WeakRef(held));
  client.held();
  forget.register(held, { map: heldHere, id, client });
  return held;
}

registerTransferHandler("asyncio-ts/threadsafe", {
  canHandle: (value: unknown): value is ThreadSafeObject => value instanceof ThreadSafeObject,
  serialize: (value: ThreadSafeObject, via?: ThreadChannel) => value._serialize(via),
  deserialize: rebuild,
  discard: (data: unknown, via?: ThreadChannel) => discardWire(data, via),
  // Serialized on this thread moments ago, so the primitive is still known here.
  abandon: (data: unknown, via?: ThreadChannel) => {
    const id = isAgainWire(data) ? data[1] : (data as Wire).id;
    (ownedHere.get(id)?.deref() ?? heldHere.get(id)?.deref())?._abandon(data as Wire | AgainWire, via);
  },
});

/**
 * @internal Validates the backend option of a thread-safe primitive and says which
 * backend it gets: `"auto"` picks shared memory where this context has it.
 */
export function checkBackend(backend: unknown, what: string): "shared" | "message" {
  if (backend === undefined || backend === "auto") return SharedCore.available() ? "shared" : "message";
  if (backend === "message") return "message";
  if (backend === "shared") {
    if (SharedCore.available()) return "shared";
    throw new TypeError(
      `${what}: the shared backend needs SharedArrayBuffer and Atomics.waitAsync, which this context does not have (a browser page has them only when cross-origin isolated: serve it with COOP/COEP headers); use backend "auto" or "message"`,
    );
  }
  throw new TypeError(`${what} option backend is "auto", "shared" or "message", got ${describeValue(backend)}`);
}
