/**
 * The bench contract (bench/app.ts) on a fleet node: the same handlers, with the Redis adapter. Resolves once the
 * adapter reads the stream, so the driver never broadcasts before every node can hear it.
 */
import type { Server } from "../../src/index.ts";
import { createAdapter } from "../../adapters/redis/index.ts";
import { benchServer } from "../app.ts";

export async function redisBenchServer(env: (name: string) => string | undefined): Promise<Server> {
  const stream = env("STREAM") ?? "portio-scale";
  const adapter = createAdapter(env("REDIS_URL") ?? "redis://127.0.0.1:6379", {
    streamName: stream,
    channelPrefix: stream,
  });
  const io = benchServer(env, { adapter });
  await adapter.ready();
  return io;
}
