// comlink ships this adapter without a .d.mts next to the .mjs.
declare module "comlink/dist/esm/node-adapter.mjs" {
  interface NodeEndpoint {
    postMessage(message: unknown, transfer?: unknown[]): void;
    on(type: string, listener: (value: unknown) => void): void;
    off(type: string, listener: (value: unknown) => void): void;
    start?: () => void;
  }
  export default function nodeEndpoint(nep: NodeEndpoint): unknown;
}
