import { describeValue } from "../errors.js";

/**
 * What a thread serves to another: a plain object of functions (`{ fib, resize }`),
 * a module namespace, or a class instance, whose methods — own and inherited from
 * its classes — are served with `this` bound to it.
 */
export type Exposed = object;

/**
 * How a served function is run, which decides how its call is cancelled:
 * `"coroutine"` (a generator function) runs as a task, cancellable at every
 * `yield*`; `"async"` runs as a task and is cancelled through the `AbortSignal`
 * it gets last; `"plain"` runs in arrival order, and a coroutine or promise it
 * returns is awaited.
 */
export type ServedKind = "coroutine" | "async" | "plain";

/** One function served under a name. */
export interface Served {
  readonly fn: (...args: unknown[]) => unknown;
  /** `this` for the call: the exposed object. */
  readonly self: object;
  readonly kind: ServedKind;
}

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;

/**
 * The functions `target` serves, by name, fixed when it is exposed. Names come
 * from another thread, so they are looked up only here: never on
 * `Object.prototype` (`toString`, `constructor`, `__proto__` are never served), and
 * a getter is never run to find a function.
 */
export class ServedFunctions {
  private readonly byName = new Map<string, Served>();

  /** Throws `TypeError` (naming `what`) when `target` is not an object. */
  constructor(target: Exposed, what = "expose()") {
    if ((typeof target !== "object" && typeof target !== "function") || target === null) {
      throw new TypeError(`${what} expects an object of functions or a class instance, got ${describeValue(target)}`);
    }
    // Own enumerable properties first, then each class's methods up the chain: a
    // name defined nearer the object wins, as a property lookup would have it.
    this.add(target, target, Object.keys(target));
    for (let proto = Object.getPrototypeOf(target); proto !== null && proto !== Object.prototype && proto !== Function.prototype; proto = Object.getPrototypeOf(proto)) {
      this.add(target, proto, Object.getOwnPropertyNames(proto).filter((name) => name !== "constructor"));
    }
  }

  /** The function served as `name`, if any. */
  get(name: string): Served | undefined {
    return this.byName.get(name);
  }

  /** Every served name. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  private add(self: object, holder: object, names: readonly string[]): void {
    for (const name of names) {
      if (this.byName.has(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(holder, name);
      const fn: unknown = descriptor !== undefined && "value" in descriptor ? descriptor.value : undefined;
      if (typeof fn !== "function") continue;
      const kind: ServedKind = fn instanceof GeneratorFunction ? "coroutine" : fn instanceof AsyncFunction ? "async" : "plain";
      this.byName.set(name, { fn: fn as (...args: unknown[]) => unknown, self, kind });
    }
  }
}
