/**
 * A TCP relay in front of a fixture that reads the WebSocket frames the server sends (RFC 6455 §5.2): what a
 * client library decodes away, such as the RSV1 bit that marks a permessage-deflate compressed message
 * (RFC 7692 §6). Bytes pass through unchanged; only the server-to-client direction is parsed.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface Frame {
  /** RSV1: the message is compressed (permessage-deflate) */
  rsv1: boolean;
  /** 1 text, 2 binary, 8 close, 9 ping, 10 pong, 0 continuation */
  opcode: number;
  payload: Buffer;
}

export interface FrameTap {
  /** http://127.0.0.1:<port> of the relay */
  url: string;
  /** frames the server sent, per relayed connection, in order */
  connections: Frame[][];
  close(): Promise<void>;
}

/** Parses frames out of the server's side of one connection, after the HTTP 101 response. */
function frameReader(out: Frame[]): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  let inHeaders = true;
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    if (inHeaders) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      inHeaders = false;
      buf = buf.subarray(end + 4);
    }
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        at = 10;
      }
      if (buf[1]! & 0x80) at += 4; // a server never masks; skip the key if one did
      if (buf.length < at + len) return;
      out.push({ rsv1: (buf[0]! & 0x40) !== 0, opcode: buf[0]! & 0x0f, payload: buf.subarray(at, at + len) });
      buf = buf.subarray(at + len);
    }
  };
}

/** Starts a relay to `targetUrl` (http://host:port) on a free port. */
export async function frameTap(targetUrl: string): Promise<FrameTap> {
  const { hostname, port } = new URL(targetUrl);
  const connections: Frame[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((down) => {
    const frames: Frame[] = [];
    connections.push(frames);
    const read = frameReader(frames);
    const up = createConnection(Number(port), hostname);
    for (const s of [down, up]) sockets.add(s), s.on("error", () => {}), s.on("close", () => sockets.delete(s));
    down.pipe(up);
    up.on("data", (chunk: Buffer) => {
      read(chunk);
      down.write(chunk);
    });
    up.on("end", () => down.end());
    down.on("close", () => up.destroy());
    up.on("close", () => down.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
