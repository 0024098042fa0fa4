// HTTP side of the chat example: the page and the Socket.IO client bundle.
// Runtime-agnostic: the caller supplies the client bundle's text, so this
// module never touches the file system.
import { Hono } from "hono";
import { indexHtml } from "./html.ts";

export type ChatPageOptions = {
  /** Text of socket.io-client's `dist/socket.io.min.js`. */
  clientScript: string;
};

export function chatPage({ clientScript }: ChatPageOptions): Hono {
  // The bundle points at a source map we do not serve; drop the reference so
  // browser dev tools do not request it.
  const script = clientScript.replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, "\n");

  const app = new Hono();
  app.get("/", (c) => c.html(indexHtml, 200, { "cache-control": "no-cache" }));
  app.get("/socket.io.min.js", (c) =>
    c.body(script, 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=3600",
    }));
  return app;
}
