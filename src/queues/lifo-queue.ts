import { Queue } from "./queue.js";

/**
 * A last-in, first-out queue (asyncio's `LifoQueue`): `get` returns the newest item.
 * Everything else is `Queue`'s.
 *
 * @example
 * ```ts
 * const stack = new LifoQueue<number>();
 * stack.putNowait(1); stack.putNowait(2);
 * stack.getNowait(); // 2
 * ```
 */
export class LifoQueue<T> extends Queue<T> {
  private stack: T[] = [];

  protected override storedCount(): number {
    return this.stack.length;
  }

  protected override putItem(item: T): void {
    this.stack.push(item);
  }

  protected override getItem(): T {
    return this.stack.pop()!;
  }
}
