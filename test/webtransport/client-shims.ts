/**
 * Two fixes to the client side of the tests (Deno's WebTransport as engine.io-client drives it), nothing on
 * the server side:
 * - Deno 2.9 throws from `close()` while the session is still connecting, where the W3C spec aborts it;
 *   engine.io-client closes a probe that is still connecting when its socket closes, and the throw escapes as
 *   an uncaught error. Here such a close happens once the session is ready.
 * - engine.io-client opens its stream in `ready.then(...)` with no catch: a client closed by the test before
 *   the stream exists leaves a rejected `createBidirectionalStream` unhandled. After the app itself closed the
 *   session, that rejection is dropped (nobody waits for the stream any more); any other still surfaces.
 */
const closedByApp = new WeakSet<WebTransport>();
const proto = WebTransport.prototype;
const close = proto.close;
proto.close = function (this: WebTransport, ...args: Parameters<typeof close>) {
  closedByApp.add(this);
  try {
    return close.apply(this, args);
  } catch {
    this.ready.then(() => close.apply(this, args), () => {});
  }
};
const create = proto.createBidirectionalStream;
proto.createBidirectionalStream = function (this: WebTransport, ...args: Parameters<typeof create>) {
  return create.apply(this, args).catch((err: unknown) => {
    if (closedByApp.has(this)) return new Promise<never>(() => {});
    throw err;
  });
};
