/** Text modules bundled by wrangler ("rules" in wrangler.jsonc). */
declare module "socket.io-client/dist/socket.io.js" {
  const text: string;
  export default text;
}
