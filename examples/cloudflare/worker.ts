/**
 * The chat example on Cloudflare Workers: the same app code as on Node, Deno and Bun, inside a Durable
 * Object that holds the connections, rooms and recovery state, and hibernates with its clients connected.
 *   npx wrangler dev      (offline, in workerd; from this directory)
 *   npx wrangler deploy   (to your account)
 */
import { createWorker, PortioObject } from "portio/cloudflare";
import clientScript from "socket.io-client/dist/socket.io.js"; // a Text module (wrangler.jsonc "rules")
import { chatApp } from "../chat/app.ts";
import { chatPage } from "../chat/page.ts";

interface Env {
  CHAT: DurableObjectNamespace;
}

export class ChatObject extends PortioObject<Env> {
  setup(): void {
    // every ping wakes a hibernated object (alarm, then the pong): a long interval lets it sleep longer
    chatApp(
      this.server({
        pingInterval: 60_000,
        pingTimeout: 20_000,
        connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 },
      }),
    );
  }
}

const page = chatPage({ clientScript });

export default createWorker<Env>({
  binding: "CHAT",
  // one object for the whole chat; to shard, route new sessions by something the client sends, e.g.
  // route: (req) => new URL(req.url).searchParams.get("room") ?? "lobby"   (client: io({ query: { room } }))
  fetch: (req) => page.fetch(req),
});
