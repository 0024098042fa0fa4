// `npm start`: the chat example on Node.
//   PORT (default 3000) and HOST (default: all interfaces) configure the listener.
import { startChat } from "./start.ts";

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid PORT: ${process.env.PORT}`);
  process.exit(1);
}

const chat = await startChat({ port, hostname: process.env.HOST || undefined });
console.log(`Portio chat on ${chat.url}`);

let closing = false;
function shutdown(signal: NodeJS.Signals): void {
  if (closing) {
    // Second Ctrl+C: do not wait any longer.
    process.exit(1);
  }
  closing = true;
  console.log(`${signal} received, closing…`);
  // Do not hang forever on a stuck connection.
  setTimeout(() => {
    console.error("Forced exit: close() did not finish within 5s");
    process.exit(1);
  }, 5000).unref();
  chat.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error("Error while closing:", err);
      process.exit(1);
    },
  );
}

process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));
