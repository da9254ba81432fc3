/**
 * A growable byte buffer read from the front (asyncio's `bytearray` buffer of a
 * StreamReader): appends amortised O(1), consuming from the front O(1), and a
 * search for a separator from an offset.
 *
 * A chunk appended to an empty buffer is borrowed, not copied, and reads from it
 * are views: bulk reads of whole chunks then copy nothing. The buffer never writes
 * into a borrowed chunk; it copies it out before appending more.
 */
export class ByteBuffer {
  private bytes: Uint8Array = new Uint8Array(0);
  private start = 0;
  private end = 0;
  private borrowed = false;

  get length(): number {
    return this.end - this.start;
  }

  append(data: Uint8Array): void {
    if (this.length === 0) {
      this.bytes = data;
      this.start = 0;
      this.end = data.length;
      this.borrowed = true;
      return;
    }
    if (this.borrowed || this.end + data.length > this.bytes.length) {
      const needed = this.length + data.length;
      if (!this.borrowed && needed <= this.bytes.length / 2) {
        this.bytes.copyWithin(0, this.start, this.end); // room enough: compact
      } else {
        const grown = new Uint8Array(Math.max(needed, 2 * this.length, 1024));
        grown.set(this.bytes.subarray(this.start, this.end));
        this.bytes = grown;
        this.borrowed = false;
      }
      this.end = this.length;
      this.start = 0;
    }
    this.bytes.set(data, this.end);
    this.end += data.length;
  }

  /** Removes and returns the first `n` bytes (a view of a borrowed chunk, else a copy). */
  take(n: number): Uint8Array {
    const count = Math.min(n, this.length);
    const chunk = this.borrowed ? this.bytes.subarray(this.start, this.start + count) : this.bytes.slice(this.start, this.start + count);
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
