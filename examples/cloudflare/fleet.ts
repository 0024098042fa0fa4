/**
 * The chat example sharded over four Durable Objects (portio/cloudflare/fleet): each connection goes to one
 * shard, and rooms, broadcasts, member lists (fetchSockets) and recovery span the fleet, so the app code is
 * the same chat as on one object or on a Redis fleet. A plain Worker route and a cron trigger announce to
 * everybody on every shard through the FleetEmitter.
 *   npm run example:cloudflare-fleet   (wrangler dev -c wrangler.fleet.jsonc: offline, in workerd)
 *   curl -X POST 'http://127.0.0.1:8788/announce?text=hello'
 */
import { createWorker, PortioObject } from "portio/cloudflare";
import { createFleetAdapter, FleetEmitter, shardOf } from "portio/cloudflare/fleet";
import { chatApp } from "../chat/app.ts";
import { indexHtml } from "../chat/html.ts";

interface Env {
  CHAT_FLEET: DurableObjectNamespace;
}

/** Every name route() can produce: fleet operations reach each (one request per other shard). */
const SHARDS = ["chat-0", "chat-1", "chat-2", "chat-3"];

export class ChatShard extends PortioObject<Env> {
  setup(): void {
    chatApp(
      this.server({
        pingInterval: 60_000,
        pingTimeout: 20_000,
        connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 },
        adapter: createFleetAdapter(this, { binding: "CHAT_FLEET", shards: SHARDS }),
      }),
    );
  }
}

const announce = (env: Env, text: string) =>
  new FleetEmitter(env.CHAT_FLEET, { shards: SHARDS }).emit("system", { text, at: Date.now() });

const worker = createWorker<Env>({
  binding: "CHAT_FLEET",
  // a client that names its room (io({ query: { room } })) lands on that room's shard; the chat page does
  // not, so it is spread at random: rooms span shards either way
  route: (req) => shardOf(new URL(req.url).searchParams.get("room") ?? crypto.randomUUID(), SHARDS),
  fetch: async (req, env) => {
    const url = new URL(req.url);
    if (url.pathname === "/announce" && req.method === "POST") {
      return Response.json(await announce(env, url.searchParams.get("text") ?? "announcement"));
    }
    if (url.pathname !== "/") return new Response("Not Found", { status: 404 });
    return new Response(indexHtml, {
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
    });
  },
});

export default {
  fetch: worker.fetch,
  // wrangler.fleet.jsonc "triggers": a cron announcement to every shard
  scheduled: async (_event: unknown, env: Env) => void await announce(env, "hourly reminder: be nice"),
};
