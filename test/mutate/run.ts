/**
 * `npm run mutate`: mutation testing of the core, with no dependency beyond the TypeScript compiler the repo
 * already has. For each target file it walks the AST, lists every mutant of a few classic kinds (operator
 * flips, boundary changes, constant changes, negation removal, removed statements), takes a fixed,
 * evenly spread sample of them, and for each one writes the mutated file, runs a fast test command and
 * restores the original. A mutant is killed when the tests fail (or time out), survives when they pass.
 *
 * Not in CI: ~150 mutants take 30-60 min on two cores. The original file is restored after every mutant, on
 * Ctrl-C/SIGTERM and on any error; if the process is SIGKILLed, `git checkout src/` puts things right.
 *
 *   npm run mutate                        all targets, the default sample
 *   npm run mutate -- --file parser       only targets whose path contains "parser"
 *   npm run mutate -- --only 12,40        only these mutant ids (as printed)
 *   npm run mutate -- --list              print the mutants, run nothing
 *   npm run mutate -- --json out.json     also write the results as JSON
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import ts from "typescript";

/** `dir/*.test.ts` by hand: Node 20's test runner takes no globs */
const testsIn = (dir: string) =>
  readdirSync(dir).filter((f) => f.endsWith(".test.ts")).sort().map((f) => `${dir}/${f}`);
/** The unit tests first (seconds), then the shared e2e suite on Node (~15 s), stopping at the first failure. */
const UNIT = { label: "unit", files: testsIn("test/unit") };
const NODE_E2E = { label: "e2e on node", files: ["test/e2e/node.test.ts"] };
type Tests = typeof UNIT;

/** Target files, how many mutants to sample from each, and the fastest tests that exercise them. */
const TARGETS: Array<{ file: string; sample: number; tests: Tests[] }> = [
  { file: "src/socket/parser.ts", sample: 35, tests: [UNIT, NODE_E2E] },
  { file: "src/engine/packet.ts", sample: 20, tests: [UNIT, NODE_E2E] },
  { file: "src/engine/socket.ts", sample: 35, tests: [UNIT, NODE_E2E] },
  { file: "src/rooms/memory.ts", sample: 30, tests: [UNIT, NODE_E2E] },
  { file: "src/socket/delivery.ts", sample: 20, tests: [UNIT, NODE_E2E] },
  { file: "src/rooms/session-aware.ts", sample: 15, tests: [UNIT, NODE_E2E] },
  // the storage store runs on Cloudflare only: its fast layer is the unit test with a storage fake
  { file: "src/rooms/storage.ts", sample: 15, tests: [UNIT] },
];

/** Per test command: a mutant that hangs the tests counts as killed (detected), as in StrykerJS. */
const TIMEOUT_MS = Number(process.env.MUTATE_TIMEOUT_MS ?? 90_000);

export interface Mutant {
  id: number;
  file: string;
  line: number;
  kind: string;
  start: number;
  end: number;
  replacement: string;
  original: string;
}

const FLIPS: Partial<Record<ts.SyntaxKind, string>> = {
  [ts.SyntaxKind.EqualsEqualsEqualsToken]: "!==",
  [ts.SyntaxKind.ExclamationEqualsEqualsToken]: "===",
  [ts.SyntaxKind.EqualsEqualsToken]: "!=",
  [ts.SyntaxKind.ExclamationEqualsToken]: "==",
  [ts.SyntaxKind.LessThanToken]: "<=",
  [ts.SyntaxKind.LessThanEqualsToken]: "<",
  [ts.SyntaxKind.GreaterThanToken]: ">=",
  [ts.SyntaxKind.GreaterThanEqualsToken]: ">",
  [ts.SyntaxKind.AmpersandAmpersandToken]: "||",
  [ts.SyntaxKind.BarBarToken]: "&&",
  [ts.SyntaxKind.QuestionQuestionToken]: "&&",
  [ts.SyntaxKind.PlusToken]: "-",
  [ts.SyntaxKind.MinusToken]: "+",
  [ts.SyntaxKind.AsteriskToken]: "/",
  [ts.SyntaxKind.SlashToken]: "*",
  [ts.SyntaxKind.AmpersandToken]: "|",
  [ts.SyntaxKind.BarToken]: "&",
  [ts.SyntaxKind.LessThanLessThanToken]: ">>",
  [ts.SyntaxKind.GreaterThanGreaterThanToken]: "<<",
  [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken]: ">>",
  [ts.SyntaxKind.PlusEqualsToken]: "-=",
  [ts.SyntaxKind.MinusEqualsToken]: "+=",
};

/** Every mutant of one file, in source order. */
export function mutantsOf(file: string, text: string): Omit<Mutant, "id">[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: Omit<Mutant, "id">[] = [];
  const add = (node: { getStart(): number; getEnd(): number } | [number, number], kind: string, rep: string) => {
    const [start, end] = Array.isArray(node) ? node : [node.getStart(), node.getEnd()];
    const original = text.slice(start, end);
    if (original === rep) return;
    out.push({
      file,
      line: sf.getLineAndCharacterOfPosition(start).line + 1,
      kind,
      start,
      end,
      replacement: rep,
      original,
    });
  };
  const visit = (node: ts.Node): void => {
    // types, imports and logging are not behaviour
    if (ts.isTypeNode(node) || ts.isImportDeclaration(node) || ts.isInterfaceDeclaration(node)) return;
    if (ts.isTypeAliasDeclaration(node)) return;
    if (ts.isBinaryExpression(node)) {
      const flip = FLIPS[node.operatorToken.kind];
      if (flip) add(node.operatorToken, "operator", flip);
    } else if (ts.isNumericLiteral(node)) {
      const n = Number(node.text);
      add(node, "constant", String(n === 0 ? 1 : n + 1));
      if (n !== 0) add(node, "constant", "0");
    } else if (node.kind === ts.SyntaxKind.TrueKeyword) {
      add(node, "constant", "false");
    } else if (node.kind === ts.SyntaxKind.FalseKeyword) {
      add(node, "constant", "true");
    } else if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
      add(node, "negation", node.operand.getText());
    } else if (ts.isIfStatement(node)) {
      add(node.expression, "condition", "true");
      add(node.expression, "condition", "false");
    } else if (ts.isExpressionStatement(node) || ts.isReturnStatement(node) || ts.isBreakStatement(node)) {
      // logging, `super()` (a crash every test sees) and `return null|undefined` (→ `return;`, equivalent)
      const t = node.getText();
      if (!/^(console\.|super\(|return (null|undefined);)/.test(t)) {
        add(node, "statement", ts.isReturnStatement(node) ? "return;" : ";");
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** `n` mutants spread evenly over the list (deterministic, so ids are stable between runs). */
function spread<T>(list: T[], n: number): T[] {
  if (list.length <= n) return list;
  return Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]!);
}

function allMutants(filter?: string): Mutant[] {
  const out: Mutant[] = [];
  let id = 0;
  for (const t of TARGETS) {
    const sample = spread(mutantsOf(t.file, readFileSync(t.file, "utf8")), t.sample);
    for (const m of sample) {
      id++;
      if (!filter || t.file.includes(filter)) out.push({ ...m, id });
    }
  }
  return out;
}

// ---- running ---------------------------------------------------------------------------------------------

let restore: (() => void) | undefined;
/** the running test process group (detached, so a Ctrl-C must stop it here) */
let running: number | undefined;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    restore?.();
    if (running) {
      try {
        process.kill(-running, "SIGKILL");
      } catch {
        // already gone
      }
    }
    console.error(`\nmutate: ${sig}, original file restored`);
    process.exit(130);
  });
}
process.on("exit", () => restore?.());

const ENV = {
  ...process.env,
  DENO_NO_UPDATE_CHECK: "1",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
};

/** Runs one test command; resolves "fail" at the first failing test (the process group is killed then). */
function runTests(globs: string[]): Promise<{ result: "pass" | "fail" | "timeout"; detail: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=tap", ...globs],
      { env: ENV, stdio: ["ignore", "pipe", "pipe"], detached: true, shell: false },
    );
    running = child.pid;
    let out = "";
    let done = false;
    const finish = (result: "pass" | "fail" | "timeout", detail: string) => {
      if (done) return;
      done = true;
      running = undefined;
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      resolve({ result, detail });
    };
    const timer = setTimeout(() => finish("timeout", `no result in ${TIMEOUT_MS} ms`), TIMEOUT_MS);
    child.stdout.on("data", (d) => {
      out += d;
      // the innermost failing test: `not ok N - name` (its parents fail after it)
      const m = /^\s*not ok \d+ - (.*)$/m.exec(out);
      if (m) finish("fail", m[1]!.slice(0, 160));
    });
    child.stderr.on("data", () => {});
    child.once("exit", (code) => finish(code === 0 ? "pass" : "fail", code === 0 ? "" : `exit ${code}`));
  });
}

async function runMutant(m: Mutant, tests: Tests[]): Promise<{ status: "killed" | "survived"; by: string }> {
  const original = readFileSync(m.file, "utf8");
  restore = () => writeFileSync(m.file, original);
  writeFileSync(m.file, original.slice(0, m.start) + m.replacement + original.slice(m.end));
  try {
    for (const t of tests) {
      const r = await runTests(t.files);
      if (r.result !== "pass") return { status: "killed", by: `${t.label}: ${r.result} ${r.detail}` };
    }
    return { status: "survived", by: "" };
  } finally {
    writeFileSync(m.file, original);
    restore = undefined;
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

async function main(): Promise<void> {
  const only = arg("--only")?.split(",").map(Number);
  let mutants = allMutants(arg("--file"));
  if (only) mutants = mutants.filter((m) => only.includes(m.id));
  const show = (m: Mutant) =>
    `#${m.id} ${m.file}:${m.line} ${m.kind}: ${JSON.stringify(m.original.slice(0, 70))} → ${
      JSON.stringify(m.replacement)
    }`;
  if (process.argv.includes("--list")) {
    for (const m of mutants) console.log(show(m));
    console.log(`${mutants.length} mutants`);
    return;
  }
  const testsOf = (file: string) => TARGETS.find((t) => t.file === file)!.tests;
  // the tests must pass on the unmutated code, or every mutant would look killed
  for (const t of new Set(mutants.flatMap((m) => testsOf(m.file)))) {
    const r = await runTests(t.files);
    if (r.result !== "pass") throw new Error(`baseline ${t.label} does not pass: ${r.result} ${r.detail}`);
  }
  const results: Array<Mutant & { status: string; by: string; ms: number }> = [];
  for (const [i, m] of mutants.entries()) {
    const t0 = Date.now();
    const r = await runMutant(m, testsOf(m.file));
    results.push({ ...m, ...r, ms: Date.now() - t0 });
    console.log(`[${i + 1}/${mutants.length}] ${r.status.toUpperCase()} ${show(m)}${r.by ? `\n    by ${r.by}` : ""}`);
  }
  console.log("\n== score ==");
  for (const t of TARGETS) {
    const mine = results.filter((r) => r.file === t.file);
    if (!mine.length) continue;
    const killed = mine.filter((r) => r.status === "killed").length;
    console.log(`${t.file}: ${killed}/${mine.length} killed (${Math.round((100 * killed) / mine.length)}%)`);
  }
  const killed = results.filter((r) => r.status === "killed").length;
  console.log(`total: ${killed}/${results.length} killed (${Math.round((100 * killed) / results.length)}%)`);
  const survivors = results.filter((r) => r.status === "survived");
  if (survivors.length) console.log("\n== survivors ==");
  for (const s of survivors) console.log(show(s));
  const json = arg("--json");
  if (json) writeFileSync(json, JSON.stringify(results, null, 2));
}

await main();
