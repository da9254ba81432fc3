const EMPTY = new Uint8Array(0);

/**
 * The bytes a StreamReader holds (asyncio's `bytearray` buffer): a queue of the
 * chunks the transport fed, read from the front.
 *
 * Chunks are kept as they came, never copied on arrival: a read that fits in the
 * first chunk returns a view of it, so bulk reads copy nothing, and only a read
 * that spans chunks gathers its bytes into a new array (each byte copied at most
 * once). The buffer never writes into a chunk, so views stay valid; the transport
 * must not reuse a chunk it fed (Node sockets, WebSockets and ports never do).
 */
export class ByteBuffer {
  /** Chunks from `head` on are buffered; the first may be a view past what was taken. */
  private chunks: Uint8Array[] = [];
  private head = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  append(data: Uint8Array): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.total += data.length;
  }

  /** Removes and returns the first `n` bytes (fewer if fewer are buffered). */
  take(n: number): Uint8Array {
    const count = Math.min(n, this.total);
    if (count <= 0) return EMPTY;
    const first = this.chunks[this.head]!;
    if (first.length >= count) {
      // The common case: a view of the first chunk, no copy.
      this.discard(count);
      return first.subarray(0, count);
    }
    const gathered = new Uint8Array(count);
    let filled = 0;
    for (let index = this.head; filled < count; index++) {
      const chunk = this.chunks[index]!;
      const part = Math.min(chunk.length, count - filled);
      gathered.set(part === chunk.length ? chunk : chunk.subarray(0, part), filled);
      filled += part;
    }
    this.discard(count);
    return gathered;
  }

  /** Drops the first `n` bytes. */
  discard(n: number): void {
    let remaining = Math.min(n, this.total);
    this.total -= remaining;
    while (remaining > 0) {
      const chunk = this.chunks[this.head]!;
      if (chunk.length > remaining) {
        this.chunks[this.head] = chunk.subarray(remaining);
        break;
      }
      remaining -= chunk.length;
      this.chunks[this.head++] = EMPTY; // drop the reference at once
    }
    if (this.total === 0) this.clear();
    else if (this.head > 32 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.chunks.length = 0;
    this.head = 0;
    this.total = 0;
  }

  /** Index (from the front) of `separator` at or after `offset`, or -1. Searches across chunk boundaries. */
  indexOf(separator: Uint8Array, offset: number): number {
    const first = separator[0]!;
    let base = 0; // index of the current chunk's first byte
    for (let index = this.head; index < this.chunks.length; index++) {
      const chunk = this.chunks[index]!;
      // The native indexOf finds candidates; only they are compared byte by byte.
      for (let at = chunk.indexOf(first, Math.max(0, offset - base)); at !== -1; at = chunk.indexOf(first, at + 1)) {
        if (this.matchesAt(separator, index, at)) return base + at;
      }
      base += chunk.length;
    }
    return -1;
  }

  /** Whether the bytes at `offset` are `prefix`. */
  startsWith(prefix: Uint8Array, offset: number): boolean {
    if (prefix.length === 0) return offset <= this.total;
    let base = 0;
    for (let index = this.head; index < this.chunks.length; index++) {
      const chunk = this.chunks[index]!;
      if (offset < base + chunk.length) return this.matchesAt(prefix, index, offset - base);
      base += chunk.length;
    }
    return false;
  }

  /** Whether `pattern` is found starting at byte `at` of chunk `index`, continuing into later chunks. */
  private matchesAt(pattern: Uint8Array, index: number, at: number): boolean {
    let chunk = this.chunks[index]!;
    for (let i = 0; i < pattern.length; i++, at++) {
      while (at >= chunk.length) {
        if (++index >= this.chunks.length) return false;
        chunk = this.chunks[index]!;
        at = 0;
      }
      if (chunk[at] !== pattern[i]) return false;
    }
    return true;
  }
}
