// Build-only: the few `Deno` globals adapters/deno calls, so tsc can emit its declarations. They never
// appear in a public signature (ConnInfo and ServeOptions are structural), so no user needs Deno's types.
declare namespace Deno {
  interface NetAddr {
    hostname: string;
    port: number;
  }
  function cwd(): string;
  function readTextFileSync(path: string): string;
  function readFile(path: string): Promise<Uint8Array>;
  function upgradeWebSocket(req: Request): { socket: WebSocket; response: Response };
  function serve(
    options: { port?: number; hostname?: string | undefined; onListen?: (addr: unknown) => void },
    handler: (req: Request, info: never) => Promise<Response>,
  ): { shutdown(): Promise<void> };
}
