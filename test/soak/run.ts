/**
 * `npm run soak -- [--duration <s>] [--runtime node,deno,bun] [--max-slope <MiB/min>]`: the soak (soak.ts) on each
 * runtime in turn, for the given time (default 300 s each). Prints the memory samples' drift and the counts, and
 * exits 1 when a runtime failed (memory kept growing after warm-up, or a message went missing).
 */
import { describeResult, runSoak, type Runtime } from "./soak.ts";

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};
const duration = Number(arg("duration") ?? 300) * 1000;
const runtimes = (arg("runtime") ?? "node,deno,bun").split(",") as Runtime[];
const slope = arg("max-slope");
let failed = false;
for (const runtime of runtimes) {
  console.log(`soak: ${runtime}, ${duration / 1000} s`);
  const r = await runSoak({
    runtime,
    duration,
    maxSlope: slope === undefined ? undefined : Number(slope) * 1024 * 1024,
    log: (l) => console.log(l),
  });
  console.log(describeResult(r));
  if (!r.ok) failed = true;
}
process.exit(failed ? 1 : 0);
