/** socket.io-client 2.x, installed under an npm alias for the allowEIO3 tests; it ships no types. */
declare module "socket.io-client-v2";
