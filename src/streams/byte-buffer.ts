/**
 * A growable byte buffer read from the front (asyncio's `bytearray` buffer of a
 * StreamReader): appends amortised O(1), consuming from the front O(1), and a
 * search for a separator from an offset.
 */
export class ByteBuffer {
  private bytes = new Uint8Array(1024);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(data: Uint8Array): void {
    if (this.end + data.length > this.bytes.length) {
      const needed = this.length + data.length;
      if (needed <= this.bytes.length / 2) {
        this.bytes.copyWithin(0, this.start, this.end); // room enough: compact
      } else {
        const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
        grown.set(this.bytes.subarray(this.start, this.end));
        this.bytes = grown;
      }
      this.end = this.length;
      this.start = 0;
    }
    this.bytes.set(data, this.end);
    this.end += data.length;
  }

  /** Removes and returns (a copy of) the first `n` bytes. */
  take(n: number): Uint8Array {
    const count = Math.min(n, this.length);
    const chunk = this.bytes.slice(this.start, this.start + count);
    this.start += count;
    if (this.start === this.end) this.start = this.end = 0;
    return chunk;
  }

  /** Drops the first `n` bytes. */
  discard(n: number): void {
    this.start = Math.min(this.end, this.start + n);
    if (this.start === this.end) this.start = this.end = 0;
  }

  clear(): void {
    this.start = this.end = 0;
  }

  /** Index (from the front) of `separator` at or after `offset`, or -1. */
  indexOf(separator: Uint8Array, offset: number): number {
    const { bytes, start, end } = this;
    const first = separator[0]!;
    const last = end - separator.length;
    outer: for (let i = start + offset; i <= last; i++) {
      if (bytes[i] !== first) continue;
      for (let j = 1; j < separator.length; j++) if (bytes[i + j] !== separator[j]) continue outer;
      return i - start;
    }
    return -1;
  }

  /** Whether the bytes at `offset` are `prefix`. */
  startsWith(prefix: Uint8Array, offset: number): boolean {
    if (offset + prefix.length > this.length) return false;
    for (let i = 0; i < prefix.length; i++) if (this.bytes[this.start + offset + i] !== prefix[i]) return false;
    return true;
  }
}
