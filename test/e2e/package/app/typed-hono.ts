// portio/hono, type-checked only with the DOM lib: hono's own declarations use DOM types (MessageEvent,
// CloseEvent), so a project without DOM needs skipLibCheck for hono whatever portio does.
import { Hono } from "hono";
import { upgradeWebSocket } from "hono/cloudflare-workers";
import { Server } from "portio";
import { portio } from "portio/hono";

const app = new Hono();
app.use(portio(new Server(), { upgradeWebSocket }));
export default app;
