// Prints bench/results.json as the Markdown table the README carries.
import { readFileSync } from "node:fs";

const { machine, groups } = JSON.parse(readFileSync(new URL("../bench/results.json", import.meta.url), "utf8"));
const perOp = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(1)} ms` : ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(1)} ns`);
const rate = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k/s` : `${n.toFixed(1)} /s`);

console.log(`Measured ${machine.date.slice(0, 10)} on ${machine.platform}/${machine.arch}, Node ${machine.node} (2 cores), medians; "× ours" is the peer's time per operation over ours.\n`);
console.log("| benchmark | case | per op | rate | × ours |");
console.log("|---|---|---|---|---|");
for (const group of Object.values(groups)) {
  group.cases.forEach((c, i) => {
    console.log(`| ${i === 0 ? group.name : ""} | ${c.name}${c.ops !== group.ops ? ` (${c.ops} ops)` : ""} | ${perOp(c.medianNsPerOp)} | ${rate(c.opsPerSecond)} | ${i === 0 ? "—" : c.ratioToOurs.toFixed(2)} |`);
  });
}
