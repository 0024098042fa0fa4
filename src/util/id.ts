/**
 * 20-character URL-safe random ids (15 random bytes), the shape of engine.io's `base64id`. Random bytes
 * come from a pool refilled 4 KiB at a time: one `getRandomValues` call per id costs more than the rest
 * of the id (measured in the connect benchmark).
 */
const POOL = 4096;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
let pool = new Uint8Array(0);
let offset = POOL;

export function randomId(): string {
  if (offset + 15 > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(POOL));
    offset = 0;
  }
  let id = "";
  // 15 bytes = 5 groups of 3 bytes = 20 base64url characters
  for (const end = offset + 15; offset < end; offset += 3) {
    const n = (pool[offset]! << 16) | (pool[offset + 1]! << 8) | pool[offset + 2]!;
    id += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  return id;
}
