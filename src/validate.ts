/**
 * Argument checks shared by every public function and constructor, so that bad
 * input fails at the call, with one shape of message: what was called, which
 * argument, what it expects, and what it got. A value of the wrong type is a
 * `TypeError`; the right type with a value out of range is a `ValueError`.
 *
 * @module
 */
import { ValueError, describeValue } from "./errors.js";

/** `value` is a number that is not NaN (Infinity allowed). */
export function checkNumber(value: unknown, what: string): number {
  if (typeof value !== "number" || Number.isNaN(value)) throw new TypeError(`${what} expects a number, got ${describeValue(value)}`);
  return value;
}

/** `value` is an integer (a number with no fraction) of at least `min`. */
export function checkInteger(value: unknown, what: string, min = -Infinity): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new TypeError(`${what} expects an integer, got ${describeValue(value)}`);
  if (value < min) throw new ValueError(`${what} must be >= ${min}, got ${value}`);
  return value;
}

/** `value` is a duration in milliseconds: a number >= 0, `Infinity` allowed. */
export function checkDelay(value: unknown, what: string): number {
  if (typeof value !== "number" || Number.isNaN(value)) throw new TypeError(`${what} expects milliseconds (a number), got ${describeValue(value)}`);
  if (value < 0) throw new ValueError(`${what} must be >= 0 ms, got ${value}`);
  return value;
}

/** `value` is a string. */
export function checkString(value: unknown, what: string): string {
  if (typeof value !== "string") throw new TypeError(`${what} expects a string, got ${describeValue(value)}`);
  return value;
}

/** Whether `value` is an object with fields, not an array: the first check of a record read from another thread. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value` is an options object (or `undefined`, when options may be left out). */
export function checkOptions(value: unknown, what: string): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${what} expects an options object, got ${describeValue(value)}`);
  }
}

/** `value` is a timeout in milliseconds, or `null`/`undefined` for none (any number but NaN; <= 0 means now). */
export function checkTimeout(value: unknown, what: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "number" || Number.isNaN(value)) throw new TypeError(`${what} expects a timeout in milliseconds or null, got ${describeValue(value)}`);
  return value;
}

/** `value` is a message port (anything with `postMessage`): what crosses to another thread. */
export function checkPort(value: unknown, what: string): void {
  if (!isPortLike(value)) throw new TypeError(`${what} expects a MessagePort (one end of createChannel()), got ${describeValue(value)}`);
}

/** Whether `value` can be used as a port (it has a `postMessage`). */
export function isPortLike(value: unknown): boolean {
  return typeof value === "object" && value !== null && typeof (value as { postMessage?: unknown }).postMessage === "function";
}
