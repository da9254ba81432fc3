// The bytes codec of the consumer benchmark: an id and a short ASCII name. The
// benchmark and its workers import it, so it is defined on every thread.
import { defineQueueCodec } from "asyncio-ts";

export const itemCodec = defineQueueCodec("bench-item", {
  encode({ id, name }) {
    const bytes = new Uint8Array(4 + name.length);
    new DataView(bytes.buffer).setInt32(0, id, true);
    for (let i = 0; i < name.length; i++) bytes[4 + i] = name.charCodeAt(i);
    return bytes;
  },
  decode(bytes) {
    let name = "";
    for (let i = 4; i < bytes.length; i++) name += String.fromCharCode(bytes[i]);
    return { id: new DataView(bytes.buffer, bytes.byteOffset).getInt32(0, true), name };
  },
});
