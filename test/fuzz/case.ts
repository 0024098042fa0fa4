/** The shape of one fuzz case, shared by the generator, the model (oracle) and the wire driver. */

import type { RawFrames } from "./framing.ts";
import type { HttpCase } from "./http.ts";

/**
 * "frames": a raw TCP connection sending hand-built WebSocket frames (framing.ts); "http": a bad Engine.IO
 * request next to a live polling session (http.ts)
 */
export type Transport = "websocket" | "polling" | "upgrade" | "frames" | "http";

/** A WebSocket frame: text, binary, or a text frame of raw bytes (possibly invalid UTF-8). */
export type WsFrame = string | Uint8Array | { textBytes: Uint8Array };

/**
 * One step: what is sent in one go. Over WebSocket, frames one after the other; over polling, one POST body
 * (packets joined with "\x1e", binary as "b" + base64). The driver waits for the replies the model expects
 * (CONNECT answers) after each step before sending the next.
 */
export type Step = { frames: WsFrame[] } | { body: string };

export interface Case {
  seed: number;
  index: number;
  transport: Transport;
  /** "/socket.io/" (the main server) or "/small/" (maxHttpBufferSize 1000) */
  path: string;
  /** upgrade cases: the frames sent on the probing WebSocket, one at a time */
  probe?: WsFrame[];
  steps: Step[];
  /** "frames" cases: the frames and the RFC 6455 outcome */
  raw?: RawFrames;
  http?: HttpCase;
  /** the mutations applied, for the failure report */
  mutations: string[];
}

/** A runtime bug below Portio the fuzzer tolerates where runtimes.ts says so: JSON.parse renaming a key */
export const JSON_KEYS = "escaped JSON keys";

export const MAIN = "/socket.io/";
export const LIMITS = "/small/";
/** maxHttpBufferSize of the fixture's /small/ server */
export const LIMIT = 1000;

export const isTextFrame = (f: WsFrame): f is string => typeof f === "string";

export function showFrame(f: WsFrame): string {
  if (typeof f === "string") return JSON.stringify(f.length > 200 ? f.slice(0, 200) + `…(${f.length})` : f);
  if (f instanceof Uint8Array) return `<binary ${f.byteLength}B>`;
  return `<text bytes ${Buffer.from(f.textBytes).toString("hex").slice(0, 80)}>`;
}

export function showCase(c: Case): string {
  const steps = c.steps.map((s, i) =>
    `  step ${i}: ` + ("body" in s ? `POST ${showFrame(s.body)}` : s.frames.map(showFrame).join(", "))
  );
  const probe = c.probe ? [`  probe: ${c.probe.map(showFrame).join(", ")}`] : [];
  if (c.http) {
    probe.push(`  ${c.http.method} ?${c.http.query} → 400 code ${c.http.code}`);
  }
  if (c.raw) {
    const bytes = c.raw.chunks.map((b) => Buffer.from(b).toString("hex").slice(0, 120)).join(" | ");
    probe.push(`  ${c.raw.rule} (expect ${c.raw.expect}${c.raw.end ? ", then FIN" : ""}): ${bytes}`);
  }
  return [`${c.transport} ${c.path} mutations: ${c.mutations.join("; ") || "none"}`, ...probe, ...steps].join("\n");
}
