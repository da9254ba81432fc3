// `npm run demo` serves this page on 127.0.0.1; the headers make it cross-origin
// isolated (the page also works without them).
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  server: {
    host: "127.0.0.1",
    port: 5173,
    headers: { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" },
  },
  worker: { format: "es" },
  build: { outDir: "dist", emptyOutDir: true },
  logLevel: "info",
});
