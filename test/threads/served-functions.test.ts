import { describe, expect, it } from "vitest";
import type { Coro } from "../../src/index.js";
import { ServedFunctions } from "../../src/threads/served-functions.js";

class Base {
  protected factor = 2;
  *scaled(x: number): Coro<number> {
    return x * this.factor;
  }
  shadowed(): string {
    return "base";
  }
}

class Api extends Base {
  readonly label = "api";
  constructor(private readonly offset: number) {
    super();
  }
  add(x: number): number {
    return x + this.offset;
  }
  async later(x: number): Promise<number> {
    return x;
  }
  override shadowed(): string {
    return "api";
  }
  get computed(): number {
    throw new Error("a getter is never run to find a function");
  }
}

describe("what expose() serves", () => {
  it("serves a class instance's methods, own and inherited, with this bound to it — never Object.prototype's", () => {
    const served = new ServedFunctions(new Api(10));
    expect(served.names().sort()).toEqual(["add", "later", "scaled", "shadowed"]);
    for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf", "computed", "label"]) expect(served.get(name)).toBeUndefined();
    const add = served.get("add")!;
    expect(Reflect.apply(add.fn, add.self, [5])).toBe(15);
    expect(served.get("scaled")!.kind).toBe("coroutine");
    expect(served.get("later")!.kind).toBe("async");
    const shadowed = served.get("shadowed")!;
    expect(Reflect.apply(shadowed.fn, shadowed.self, [])).toBe("api");
  });

  it("serves a plain object's own functions and a module namespace's exports", () => {
    const served = new ServedFunctions({ a: () => 1, b: 2, *c() {} });
    expect(served.names()).toEqual(["a", "c"]);
    const namespace = Object.freeze(Object.assign(Object.create(null), { f: () => "f" }));
    expect(new ServedFunctions(namespace).names()).toEqual(["f"]);
  });

  it("refuses what is not an object, naming the caller", () => {
    expect(() => new ServedFunctions(5 as never, "expose()")).toThrow(/expose\(\) expects an object of functions or a class instance, got number 5/);
    expect(() => new ServedFunctions(null as never)).toThrow(TypeError);
  });
});
