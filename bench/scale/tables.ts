/**
 * The tables of `npm run bench:scale` from its JSON lines (bench/scale/run.mjs), and the splice of its section
 * into docs/benchmarks.md. Pure functions, so the report's shape has a unit test (test/unit/bench-scale.test.ts).
 */

export interface ScaleRecord {
  part: string;
  label?: string;
  runtime?: string;
  x?: number;
  ok?: boolean;
  error?: string;
  [k: string]: unknown;
}

export const SECTION = "## Growth (npm run bench:scale)";
const LABELS = ["portio-node", "socketio-node", "portio-bun", "socketio-bun"];

export function median(xs: unknown[]): number | undefined {
  const s = xs.filter((x): x is number => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return undefined;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1]! + s[m]!) / 2;
}

export function fmt(x: number | undefined, digits = 1): string {
  if (x === undefined) return "–";
  if (Math.abs(x) >= 10_000) return `${(x / 1000).toFixed(0)} k`;
  if (Math.abs(x) >= 1000) return `${(x / 1000).toFixed(1)} k`;
  return x.toFixed(digits);
}

const count = (n: number) => n.toLocaleString("en-US");

function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}
function table(head: string[], rows: string[][]): string {
  return [row(head), row(head.map(() => "---")), ...rows.map(row)].join("\n");
}

/** median of `key` over the ok runs of one label, part and x; "failed" when every run failed */
function cell(rs: ScaleRecord[], part: string, label: string, x: number, key: string, digits = 1): string {
  const runs = rs.filter((r) => r.part === part && r.label === label && r.x === x);
  if (!runs.length) return "–";
  const ok = runs.filter((r) => r.ok);
  if (!ok.length) return "failed";
  const v = median(ok.map((r) => r[key]));
  const rough = ok.some((r) => r.reliable === false) ? "*" : "";
  return fmt(v, digits) + rough;
}

/** last ÷ first of a column: 1.00 is flat */
function growth(rs: ScaleRecord[], part: string, label: string, xs: number[], key: string): string {
  const v = (x: number) =>
    median(rs.filter((r) => r.part === part && r.label === label && r.x === x && r.ok).map((r) => r[key]));
  const a = v(xs[0]!), b = v(xs[xs.length - 1]!);
  return a && b !== undefined ? `${(b / a).toFixed(2)}×` : "–";
}

const xsOf = (rs: ScaleRecord[], part: string) =>
  [...new Set(rs.filter((r) => r.part === part).map((r) => r.x as number))].sort((a, b) => a - b);
const labelsOf = (rs: ScaleRecord[], part: string) =>
  LABELS.filter((l) => rs.some((r) => r.part === part && r.label === l));

function curve(rs: ScaleRecord[], part: string, xHead: string, key: string, digits = 1, extra?: string): string {
  const xs = xsOf(rs, part), labels = labelsOf(rs, part);
  if (!xs.length) return "";
  // a size the machine could not hold (memory: open files, ports) names what was measured instead
  const xLabel = (x: number) => {
    const measured = rs.find((r) => r.part === part && r.x === x && typeof r.conns === "number" && r.conns !== x);
    return measured ? `${count(x)} (${count(measured.conns as number)} measured)` : count(x);
  };
  const rows = xs.map((x) => [xLabel(x), ...labels.map((l) => cell(rs, part, l, x, key, digits))]);
  if (xs.length > 1) {
    rows.push([
      `growth ${count(xs[0]!)} → ${count(xs[xs.length - 1]!)}`,
      ...labels.map((l) => growth(rs, part, l, xs, key)),
    ]);
  }
  if (extra) rows.push([extra, ...labels.map((l) => xs.map((x) => cell(rs, part, l, x, "msgsPerSec", 0)).join(" / "))]);
  return table([xHead, ...labels], rows);
}

function redisTable(rs: ScaleRecord[]): string {
  const runs = rs.filter((r) => r.part === "redis");
  if (!runs.length) return "";
  const rows: string[][] = [];
  for (const label of labelsOf(rs, "redis")) {
    for (const x of xsOf(rs, "redis")) {
      const ok = runs.filter((r) => r.label === label && r.x === x && r.ok);
      if (!runs.some((r) => r.label === label && r.x === x)) continue;
      if (!ok.length) {
        rows.push([label, String(x), "failed", "", "", "", ""]);
        continue;
      }
      const per = (i: number) => median(ok.map((r) => (r.nodeUsPerMsg as number[] | undefined)?.[i]));
      const others = median(ok.map((r) => median(((r.nodeUsPerMsg as number[] | undefined) ?? []).slice(1))));
      const rough = ok.some((r) => r.reliable === false) ? "*" : "";
      rows.push([
        label,
        String(x),
        fmt(median(ok.map((r) => r.msgsPerSec))) + rough,
        fmt(per(0), 2),
        fmt(others, 2),
        fmt(median(ok.map((r) => r.fleetUsPerMsg)), 2),
        fmt(median(ok.map((r) => r.redisUsPerMsg)), 2),
      ]);
    }
  }
  return table(
    [
      "server",
      "nodes",
      "msgs/s delivered",
      "µs/msg node 1 (publisher's)",
      "µs/msg other nodes",
      "µs/msg all nodes",
      "Redis µs/msg",
    ],
    rows,
  );
}

export interface Meta {
  started?: string;
  finished?: string;
  loadBefore?: string;
  loadAfter?: string;
  notes?: string[];
  note?: string;
  sizes?: Record<string, number>;
}

/** the whole section, heading included, as markdown */
export function growthSection(rs: ScaleRecord[], meta: Meta, versions: string, command: string): string {
  const s = meta.sizes ?? {};
  const memRuns = rs.filter((r) => r.part === "memory" && r.ok && typeof r.conns === "number" && r.conns !== r.x);
  const capped = memRuns.length
    ? `\n\nCapped: ${
      [...new Set(memRuns.map((r) => `${count(r.x!)} asked, ${count(r.conns as number)} measured`))].join("; ")
    } (see the notes below).`
    : "";
  const failed = rs.filter((r) => r.part !== "meta" && r.ok === false);
  // a part that did not run (PARTS) leaves no heading behind
  const block = (title: string, body: string, intro = "") =>
    body ? [title, "", ...(intro ? [intro, ""] : []), body, ""] : [];
  const parts = [
    `${SECTION}${meta.note ? ` — ${meta.note}` : ""}`,
    "",
    `${meta.started?.slice(0, 16).replace("T", " ") ?? "?"} UTC, load average ${meta.loadBefore ?? "?"} before, ${
      meta.loadAfter ?? "?"
    } after; ${versions}. Command: \`${command}\`. One run per point unless ROUNDS says otherwise (medians then), ` +
    "servers alternating point by point; server CPU from /proc over the measured interval only. * = measured " +
    "interval under 2 s (CPU figures rough). Flat is the goal: the growth row is last ÷ first.",
    "",
    "Run it: `npm run bench:scale` (about 15 minutes on 2 cores; `SCALE_QUICK=1` for a smoke run of a few minutes). " +
    "Knobs (env, see bench/scale/run.mjs): RUNTIMES, PARTS (fanout memory rooms redis), PORT (servers on PORT to " +
    "PORT+2), REDIS_PORT (a private redis-server), ROOM_SIZES, CONN_COUNTS, ROOM_COUNTS, REDIS_NODES, FANOUT_MSGS, " +
    "FANOUT_WINDOW, ROOMS_CLIENTS, REDIS_CLIENTS, REDIS_MSGS, ROUNDS, SCALE_SYSCTL=1 (widen the ephemeral port range, root), DOCS=0.",
    "",
    ...block(
      `### Fan-out: server CPU µs per delivered message, by room size (sio-bench fanout, ${
        count(s.FANOUT_MSGS ?? 0)
      } messages per run, window ${s.FANOUT_WINDOW ?? 50} at every size)`,
      curve(rs, "fanout", "room members", "usPerMsg", 2, "msgs/s delivered"),
    ),
    ...block(
      "### Memory: KiB RSS per idle connection (sio-bench connect, fresh server, held 3 s)",
      curve(rs, "memory", "connections", "kibPerConn") && curve(rs, "memory", "connections", "kibPerConn") + capped,
      "RSS growth ÷ connections: the smallest size also carries the process's fixed growth (heap, buffers).",
    ),
    ...block(
      `### Broadcast cost with other rooms in the server: µs per delivered message, room of ${
        count(s.ROOMS_CLIENTS ?? 0)
      }`,
      curve(rs, "rooms", "other rooms", "usPerMsg", 2),
      "The other rooms are joined by up to 100 extra connections (rooms-hold.mjs) before sio-bench's fanout runs. " +
        "Both servers also keep one room per connected socket (its id), so these rooms come on top of about 1,100.",
    ),
    ...block(
      `### Cross-node fan-out over Redis (${
        count(s.REDIS_CLIENTS ?? 0)
      } subscribers spread over the nodes, publisher on node 1)`,
      redisTable(rs),
      "Portio with `portio/redis`, socket.io with `@socket.io/redis-streams-adapter`; one private Redis. Windowed " +
        "(20 broadcasts), every delivery checked in order. µs/msg per node = that node's CPU ÷ messages it " +
        "delivered to its own subscribers; all nodes = the fleet's CPU ÷ all deliveries.",
    ),
    ...(meta.notes?.length ? ["Notes: " + meta.notes.join("; ") + ".", ""] : []),
    ...(failed.length
      ? ["Failed runs: " + failed.map((r) => `${r.part} ${r.label} ${r.x}: ${r.error ?? "?"}`).join("; ") + ".", ""]
      : []),
  ];
  return parts.join("\n").replace(/\n{3,}/g, "\n\n");
}

/** replaces the section starting with `## Growth (npm run bench:scale)` up to the next `## `, or appends it */
export function spliceSection(doc: string, section: string): string {
  const start = doc.indexOf(SECTION);
  const body = section.trimEnd() + "\n";
  if (start < 0) return doc.trimEnd() + "\n\n" + body;
  const next = doc.indexOf("\n## ", start + SECTION.length);
  return doc.slice(0, start) + body + (next < 0 ? "" : "\n" + doc.slice(next + 1));
}
