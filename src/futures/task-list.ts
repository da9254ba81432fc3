import type { EventLoop } from "../loop/event-loop.js";

/** What the list needs of a task: two links. */
export interface Listed {
  _previousListed: Listed | null;
  _nextListed: Listed | null;
}

/**
 * The pending tasks of one loop, for `allTasks()` and `run()`'s final cancel: an
 * intrusive doubly linked list, so adding and removing a task is O(1) with no
 * hashing or allocation on the spawn path.
 */
export class TaskList<T extends Listed> {
  private head: T | null = null;

  add(task: T): void {
    task._previousListed = null;
    task._nextListed = this.head;
    if (this.head !== null) this.head._previousListed = task;
    this.head = task;
  }

  remove(task: T): void {
    const previous = task._previousListed;
    const next = task._nextListed;
    if (previous !== null) previous._nextListed = next;
    else if (this.head === task) this.head = next as T | null;
    else return; // not listed
    if (next !== null) next._previousListed = previous;
    task._previousListed = task._nextListed = null;
  }

  toSet(): Set<T> {
    const tasks = new Set<T>();
    for (let task: Listed | null = this.head; task !== null; task = task._nextListed) tasks.add(task as T);
    return tasks;
  }
}

/** The loop's task list, made on first use. */
export function taskListOf<T extends Listed>(loop: EventLoop): TaskList<T> {
  return (loop._taskList ??= new TaskList<T>()) as TaskList<T>;
}
