/**
 * Prints the bench:scale tables from its JSON lines and, with --docs, writes them into docs/benchmarks.md
 * (section "Growth (npm run bench:scale)", replaced in place).
 *   node --import tsx bench/scale/report.ts RESULTS.jsonl [--docs]
 */
import fs from "node:fs";
import { execFileSync } from "node:child_process";
import { growthSection, type Meta, type ScaleRecord, spliceSection } from "./tables.ts";

const file = process.argv[2];
if (!file) throw new Error("usage: report.ts RESULTS.jsonl [--docs]");
const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.startsWith("{"));
const records = lines.map((l) => JSON.parse(l) as ScaleRecord);
const meta = (records.filter((r) => r.part === "meta").pop() ?? {}) as Meta;

const version = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n")[0] ??
      "?";
  } catch {
    return "?";
  }
};
const pkg = (name: string) => {
  try {
    return JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8")).version as string;
  } catch {
    return "?";
  }
};
const versions = [
  `Node ${process.version}`,
  `Bun ${version("node_modules/.bin/bun", ["--version"])}`,
  `Portio ${JSON.parse(fs.readFileSync("package.json", "utf8")).version} (${
    version("git", ["rev-parse", "--short", "HEAD"])
  })`,
  `socket.io ${pkg("socket.io")}`,
  `@socket.io/redis-streams-adapter ${pkg("@socket.io/redis-streams-adapter")}`,
  `@socket.io/bun-engine ${pkg("@socket.io/bun-engine")}`,
  `${version("redis-server", ["--version"]).replace(/^Redis server v=(\S+).*/, "Redis $1")}`,
].join(", ");
const command = (meta as { command?: string }).command ?? "npm run bench:scale";
const section = growthSection(records, meta, versions, command);
console.log(section);
if (process.argv.includes("--docs")) {
  const doc = "docs/benchmarks.md";
  fs.writeFileSync(doc, spliceSection(fs.readFileSync(doc, "utf8"), section));
  // the docs are `deno fmt`ed (npm run lint checks them): wrap the prose and align the tables the same way
  try {
    execFileSync("node_modules/.bin/deno", ["fmt", "-q", doc], { env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" } });
  } catch {
    console.error("bench:scale: deno fmt failed on the docs (run npm run fmt)");
  }
  console.error(`bench:scale: tables written to ${doc}; results in ${file}`);
}
