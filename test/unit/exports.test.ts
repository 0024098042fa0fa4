/**
 * package.json and deno.json export the same entry points: JSR publishes the TypeScript sources that
 * package.json's `portio-source` condition names (for the root entry: its `default`, the runtime-free core),
 * npm the built `dist/` files (run `npm run build` first, as `npm test` does). Every file named exists.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import ts from "typescript";

type Built = { types: string; import: string; default: string };
type Target = string | Record<string, string | Record<string, string>>;
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { exports: Record<string, Target> };
const deno = JSON.parse(readFileSync("deno.json", "utf8")) as { exports: Record<string, string> };
const entries = Object.entries(pkg.exports).filter((e): e is [string, Record<string, string | Built>] =>
  typeof e[1] !== "string"
);

/** The source file an entry gives runtimes other than Node (the root entry's Node flavour is separate). */
function source(c: Record<string, unknown>): string {
  const s = c["portio-source"];
  return typeof s === "string" ? s : (s as Record<string, string>).default!;
}
const builtOf = (src: string): Built => {
  const base = src.replace(/^\.\//, "./dist/").replace(/\.ts$/, "");
  return { types: `${base}.d.ts`, import: `${base}.js`, default: `${base}.js` };
};

test("deno.json exports equal package.json's source entries (the root: its runtime-free default)", () => {
  assert.deepEqual(deno.exports, Object.fromEntries(entries.map(([name, c]) => [name, source(c)])));
});

test("every entry's types, import and default use the built files of its source", () => {
  for (const [name, c] of entries) {
    const { types, import: imp, default: def } = c as unknown as Built;
    assert.deepEqual({ types, import: imp, default: def }, builtOf(source(c)), name);
    // condition order matters: the first match wins; the source condition first, `types` before `import`
    const keys = Object.keys(c);
    assert.equal(keys[0], "portio-source", name);
    assert.deepEqual(keys.slice(-3), ["types", "import", "default"], name);
  }
});

test("the root entry gives the runtime-free core to every runtime but Node, in sources and in dist", () => {
  const root = pkg.exports["."] as Record<string, Record<string, string> | string>;
  const src = root["portio-source"] as Record<string, string>;
  for (const c of ["deno", "bun", "workerd", "worker", "browser", "default"]) {
    assert.equal(src[c], "./src/index.ts", c);
    if (c !== "default") assert.deepEqual(root[c], builtOf("./src/index.ts"), c);
  }
  assert.equal(src.node, "./adapters/node/root.ts");
  assert.deepEqual(root.node, builtOf("./adapters/node/root.ts"));
  // conditions match in order: runtimes that also match "node" (Bun, Deno) must meet theirs first
  for (const keys of [Object.keys(src), Object.keys(root)]) {
    assert.ok(keys.indexOf("bun") < keys.indexOf("node") && keys.indexOf("deno") < keys.indexOf("node"));
  }
});

test("every exported file exists", () => {
  const files = (t: unknown): string[] =>
    typeof t === "string" ? [t] : Object.values(t as Record<string, unknown>).flatMap(files);
  for (const [name, c] of entries) {
    for (const file of files(c)) assert.ok(existsSync(file), `${name} → ${file}`);
  }
});

/** Every name a source entry exports, types included, as the compiler sees it. */
function exportedNames(file: string): string[] {
  const program = ts.createProgram([file], { allowImportingTsExtensions: true, noEmit: true, strict: true });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  return checker.getExportsOfModule(module).map((s) => s.name).sort();
}

// The app API: what `import … from "portio"` offers. A name added here is a promise to every app; the
// runtime-adapter kit is portio/runtime, the room-store kit portio/room-store.
const APP_API = [
  // an app with its own QUIC server: `io.engine.offerWebTransport(acceptWebTransport)` (README "WebTransport")
  "acceptWebTransport",
  "AdapterConstructor",
  "AdapterEvents",
  "AdapterFactory",
  "AllowRequest",
  "AnyListener",
  "AnyServer",
  "AnySocket",
  "BroadcastFlags",
  "BroadcastOperator",
  // a Worker serving the client bundle: `io.setClientFiles(clientBundle({ version, read }))`
  "ClientBundle",
  "clientBundle",
  "ConnectionError",
  "ConnectionStateRecoveryOptions",
  "CookieOptions",
  "CorsOptions",
  "CustomOrigin",
  "CustomParser",
  "DefaultEventsMap",
  "DisconnectReason",
  "EmitWithAckArgs",
  "EmitWithAckResult",
  "EngineCloseReason",
  "EngineMiddleware",
  "EngineOptions",
  "EngineServer",
  "EngineServerEvents",
  "EngineSocket",
  "EngineSocketEvents",
  "EventNames",
  "EventNamesWithAck",
  "EventParams",
  "EventsMap",
  "ExtendedError",
  "Handshake",
  "HttpCompressionOptions",
  "InMemoryAdapter",
  "Logger",
  "LogScope",
  "Middleware",
  "MiddlewareResponse",
  "Namespace",
  "NamespaceEvents",
  "NamespaceMatcher",
  "ParentNamespace",
  "PerMessageDeflateOptions",
  "ReadyState",
  "RemoteSocket",
  "RemoteSocketLike",
  "RequestLike",
  "Room",
  "Server",
  "ServerEvents",
  "ServerOptions",
  "ServerReservedEvents",
  "Socket",
  "SocketId",
  "SocketMiddleware",
  "SocketReservedEvents",
  "StaticOrigin",
];

test("the root entry exports the app API and nothing else", () => {
  const typed = readFileSync("src/socket/typed-events.ts", "utf8");
  // `export type *` of the typed-events helpers: whatever that file exports is part of the list
  const typedNames = [...typed.matchAll(/^export (?:type|interface|const) (\w+)/gm)].map((m) => m[1]!);
  const expected = [...new Set([...APP_API, ...typedNames])].sort();
  assert.deepEqual(exportedNames("src/index.ts"), expected);
});

test("the runtime-adapter and room-store kits are their own entries, not the root's", () => {
  const root = new Set(exportedNames("src/index.ts"));
  for (const name of ["HeaderList", "RequestContext", "WebSocketHandler", "Decoder", "Client", "forwardToOwner"]) {
    assert.ok(!root.has(name), `${name} is the runtime kit's`);
  }
  for (const name of ["ClusterAdapter", "StoreContext", "MessageType", "storable", "SessionAwareAdapter"]) {
    assert.ok(!root.has(name), `${name} is the room-store kit's`);
  }
  const runtime = new Set(exportedNames("src/runtime.ts"));
  for (
    const name of [
      "HeaderList",
      "RequestContext",
      "WebSocketHandler",
      "Servable",
      "Fanout",
      "EngineServer",
      "acceptWebTransport",
      "forwardToOwner",
      "forwardTarget",
      "requestOf",
    ]
  ) {
    assert.ok(runtime.has(name), `portio/runtime lacks ${name}`);
  }
  const store = new Set(exportedNames("src/room-store.ts"));
  for (const name of ["InMemoryAdapter", "StoreContext", "ClusterAdapter", "MessageType", "storable", "includes"]) {
    assert.ok(store.has(name), `portio/room-store lacks ${name}`);
  }
});
