// The bytes codec of the consumer benchmark: an id and a short ASCII name. The
// benchmark and its workers import it, so it is defined on every thread.
//
// It reads and writes the id byte by byte, not through a DataView or a subarray: a
// small Uint8Array lives on V8's heap, and the first `.buffer` (which both need)
// moves it off the heap, which costs more than the rest of a put (see
// defineQueueCodec's TSDoc).
import { defineQueueCodec } from "asyncio-ts";

export const itemCodec = defineQueueCodec("bench-item", {
  encode({ id, name }) {
    const bytes = new Uint8Array(4 + name.length);
    bytes[0] = id;
    bytes[1] = id >>> 8;
    bytes[2] = id >>> 16;
    bytes[3] = id >>> 24;
    for (let i = 0; i < name.length; i++) bytes[4 + i] = name.charCodeAt(i);
    return bytes;
  },
  decode(bytes) {
    const id = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24);
    let name = "";
    for (let i = 4; i < bytes.length; i++) name += String.fromCharCode(bytes[i]);
    return { id, name };
  },
});
