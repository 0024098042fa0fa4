/**
 * The chat example on Cloudflare Workers: the same app code as on Node, Deno and Bun, inside a Durable
 * Object that holds the connections, rooms and recovery state, and hibernates with its clients connected.
 *   npm run example:cloudflare   (wrangler dev: offline, in workerd)
 *   cd examples/cloudflare && npx wrangler deploy   (to your account)
 */
import { createWorker, PortioObject } from "portio/cloudflare";
import { chatApp } from "../chat/app.ts";
import { indexHtml } from "../chat/html.ts";

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

// The page only: /socket.io.min.js is a static asset (wrangler.jsonc "assets"), which costs the Worker
// nothing, and the Worker answers "/" without a router, so its bundle holds Portio and the app alone
// (the size budget in test/e2e/package.test.ts).
function page(req: Request): Response {
  if (new URL(req.url).pathname !== "/") return new Response("Not Found", { status: 404 });
  return new Response(indexHtml, {
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
  });
}

export default createWorker<Env>({
  binding: "CHAT",
  // one object for the whole chat; to shard, route new sessions by something the client sends, e.g.
  // route: (req) => new URL(req.url).searchParams.get("room") ?? "lobby"   (client: io({ query: { room } }))
  fetch: page,
});
