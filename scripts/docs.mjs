// npm run docs: the API reference of every entry point, generated from the TSDoc of the public exports by
// `deno doc --html` into docs/api/ (open docs/api/index.html). `npm run docs -- --lint` runs `deno doc --lint`
// instead: it reports every export, member and type reference without documentation.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const deno = join(root, "node_modules/.bin/deno");
const entries = Object.values(JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).exports);
const env = { ...process.env, DENO_NO_UPDATE_CHECK: "1" };

if (process.argv.includes("--lint")) {
  execFileSync(deno, ["doc", "--lint", ...entries], { cwd: root, env, stdio: "inherit" });
} else {
  const out = join(root, "docs/api");
  rmSync(out, { recursive: true, force: true });
  execFileSync(deno, ["doc", "--html", "--name=Portio", `--output=${out}`, ...entries], {
    cwd: root,
    env,
    stdio: "inherit",
  });
}
