/**
 * A coroutine frame of a waiting task, as far as JavaScript can tell: a suspended
 * generator cannot be walked, so the frames are those on the stack when the task
 * last started to wait (recorded in debug mode), or the live stack of the task
 * that asks.
 */
export interface FrameInfo {
  /** The function's name as the engine reports it (`worker`, `Lock.acquire`), or `<anonymous>`. */
  readonly name: string;
  /** The script's URL or path, or `null` when the engine does not say. */
  readonly file: string | null;
  /** 1-based line of the `yield*` (or call) the frame is at, or `null`. */
  readonly line: number | null;
  /** 1-based column, or `null`. */
  readonly column: number | null;
}

// "    at name (file:line:col)", "    at file:line:col", "    at async name (…)".
const V8_FRAME = /^\s*at (?:async )?(?:(.+?) \((.*)\)|(.*))$/;
const LOCATION = /^(.*):(\d+):(\d+)$/;
/** Where the task machinery begins: the frames below belong to the loop, not the coroutine. */
const DRIVER = /(?:^|\.)(?:stepCoroutine|_step|startAsyncBody|_wakeUp)$/;
/** A generator being resumed (`worker.next (<anonymous>)`): the engine's frame, not the coroutine's. */
const RESUME = /\.(?:next|throw|return)$/;
/** The library's coroutines written by hand (try-first.ts, sleep.ts) passing a step on: machinery, not a coroutine's frame. */
const HANDWRITTEN = /^(?:TryFirst|YieldOnce|SleepFor)\.(?:next|throw|return)$/;

/**
 * The coroutine frames of a stack captured while a task ran, innermost first: the
 * frames above the task's own step, without the engine's generator-resume frames.
 * A format the parser does not know (not V8's) gives no frames rather than wrong ones.
 */
export function coroutineFrames(stack: string | undefined, limit = Infinity): FrameInfo[] {
  const frames: FrameInfo[] = [];
  if (stack === undefined) return frames;
  const lines = stack.split("\n");
  for (let i = 1; i < lines.length && frames.length < limit; i++) {
    const match = V8_FRAME.exec(lines[i]!);
    if (match === null) continue;
    const name = match[1] ?? "<anonymous>";
    if (DRIVER.test(name)) break;
    if (HANDWRITTEN.test(name)) continue;
    const where = match[2] ?? match[3] ?? "";
    if (where === "<anonymous>" || where === "native") {
      if (RESUME.test(name)) continue;
      frames.push({ name, file: null, line: null, column: null });
      continue;
    }
    const location = LOCATION.exec(where);
    frames.push(
      location === null
        ? { name, file: where || null, line: null, column: null }
        : { name, file: location[1]!, line: Number(location[2]), column: Number(location[3]) },
    );
  }
  return frames;
}

/** A frame as one line: `worker (file.ts:12:5)`. */
export function formatFrame(frame: FrameInfo): string {
  if (frame.file === null) return frame.name;
  return frame.line === null ? `${frame.name} (${frame.file})` : `${frame.name} (${frame.file}:${frame.line}:${frame.column})`;
}

/** Frames kept per captured stack: enough for deep `yield*` chains. */
const STACK_FRAMES = 64;

/**
 * The current stack as a string, from the caller of `below` outward (V8 leaves
 * `below` and what it called out; other engines keep them, and the parser skips
 * frames it does not know). Costs a few microseconds: debug mode and capture only.
 */
export function captureStack(below: (...args: never[]) => unknown): { stack?: string } {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = STACK_FRAMES;
  if (typeof Error.captureStackTrace === "function") Error.captureStackTrace(holder, below);
  else holder.stack = new Error().stack;
  Error.stackTraceLimit = limit;
  return holder;
}
