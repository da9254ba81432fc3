import type { QueueCodec } from "asyncio-ts";
export declare const itemCodec: QueueCodec<{ id: number; name: string }>;
