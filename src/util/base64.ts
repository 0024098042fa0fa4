/**
 * Base64 for binary packets over long-polling (`b` + base64, engine.io spec "Packet encoding").
 * Web platform only: `btoa`/`atob` work on binary strings, so we go through them in chunks to avoid
 * the argument-count limit of String.fromCharCode on large buffers.
 */
const CHUNK = 0x8000;

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return btoa(binary);
}

/** Throws a DOMException (InvalidCharacterError) on malformed input; callers map it to a parse error. */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
