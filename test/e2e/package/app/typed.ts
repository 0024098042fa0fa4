// A TypeScript user's app, type-checked (never run) by tsc under each tsconfig.*.json here: strict,
// exactOptionalPropertyTypes, noPropertyAccessFromIndexSignature, NodeNext and bundler resolution, with and
// without the DOM lib, skipLibCheck off (so portio's own declarations are checked under these flags too).
import { type DefaultEventsMap, Server, type Socket } from "portio";
import { attach, serve } from "portio/node";
import { createAdapter, Emitter } from "portio/redis";
import { createWorker, type DurableObjectNamespaceLike, PortioObject } from "portio/cloudflare";
import { createFleetAdapter, FleetEmitter, shardOf } from "portio/cloudflare/fleet";
import { createHandler as denoHandler } from "portio/deno";
import { createHandler as bunHandler } from "portio/bun";
import { type BroadcastOptions, InMemoryAdapter, type Packet, type StoreContext } from "portio/room-store";
import { HeaderList, type RequestContext } from "portio/runtime";
import { createServer } from "node:http";

interface ClientToServer {
  hello(name: string, ack: (reply: { greeting: string; id: string }) => void): void;
  typing(): void;
}
interface ServerToClient {
  news(text: string): void;
  ask(question: string, ack: (answer: number) => void): void;
}
interface InterServer {
  ping(): void;
}
interface SocketData {
  user: string;
}

const io = new Server<ClientToServer, ServerToClient, InterServer, SocketData>({
  adapter: createAdapter("redis://127.0.0.1:6379"),
  connectionStateRecovery: {},
  cors: { origin: ["https://example.com"] },
});

io.on("connection", async (socket: Socket<ClientToServer, ServerToClient, InterServer, SocketData>) => {
  socket.data.user = "ann";
  await socket.join("r");
  socket.on("hello", (name, ack) => {
    const n: string = name;
    ack({ greeting: `hi ${n}`, id: socket.id });
    io.to("r").emit("news", `${n} said hello`);
  });
  // @ts-expect-error the ack answer must match ClientToServer's declaration
  socket.on("hello", (_name, ack) => ack({ greeting: 1 }));
  // @ts-expect-error an event the map does not declare
  socket.emit("nope", 1);
  // @ts-expect-error wrong argument type for a declared event
  socket.emit("news", 42);

  const answer: number = await socket.emitWithAck("ask", "how many?");
  const answers: number[] = await io.timeout(1000).emitWithAck("ask", "how many?");
  const inRoom: number[] = await io.to("r").timeout(1000).emitWithAck("ask", "and here?");
  // @ts-expect-error the ack of "ask" answers a number, not a string
  const wrong: string = await socket.emitWithAck("ask", "how many?");
  // @ts-expect-error "news" takes no ack, so it cannot be emitted with one
  await socket.emitWithAck("news");
  // @ts-expect-error wrong argument type before the ack
  await socket.emitWithAck("ask", 42);
  void [answer, answers, inRoom, wrong];

  io.serverSideEmit("ping");
  // @ts-expect-error not an inter-server event
  io.serverSideEmit("pong");
});

const untyped = new Server();
untyped.on("connection", async (socket) => {
  const anything = await socket.emitWithAck("whatever", 1, "two");
  void anything.someField;
  const s: Socket<DefaultEventsMap, DefaultEventsMap> = socket;
  void s;
});

const handle = await serve(io, { port: 0, hostname: "127.0.0.1" });
attach(untyped, createServer());
await handle.close();
await new Emitter("redis://127.0.0.1:6379").to("r").emit("news", "from a cron job");
void [createWorker, PortioObject, denoHandler, bunHandler];

// a room store of one's own (docs/room-store.md) and the runtime-adapter kit, from their entries
class CountingStore extends InMemoryAdapter {
  broadcasts = 0;
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    this.broadcasts++;
    super.broadcast(packet, opts);
  }
}
const counted = new Server({ adapter: (ctx: StoreContext) => new CountingStore(ctx) });
const headers = new HeaderList();
headers.set("x-portio", "1");
const noContext: RequestContext | undefined = undefined;
void [counted, noContext];

// a Durable Object fleet: the Worker emitter is typed by the same event maps as the servers
declare const fleetBinding: DurableObjectNamespaceLike;
const fleetEmitter = new FleetEmitter<ServerToClient, InterServer>(fleetBinding, { shards: ["a", "b"] });
void fleetEmitter.to("r").emit("news", `to ${shardOf("r", ["a", "b"])} and every other shard`);
// @ts-expect-error wrong argument type for a declared event
void fleetEmitter.to("r").emit("news", 42);
void fleetEmitter.serverSideEmit("ping");
void createFleetAdapter;
