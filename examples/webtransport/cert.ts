/**
 * A short-lived self-signed ECDSA P-256 certificate for WebTransport in development, made with WebCrypto
 * (no openssl): browsers accept such a certificate without a CA when the page passes its SHA-256 hash in
 * `serverCertificateHashes` and it is valid for at most 14 days.
 *
 *   deno run -A examples/webtransport/cert.ts   # writes cert.pem and key.pem here, prints the hash
 */

/** A certificate, its key and the hash a browser pins it with. */
export interface DevCertificate {
  /** certificate, PEM */
  cert: string;
  /** PKCS#8 private key, PEM */
  key: string;
  /** SHA-256 of the certificate's DER bytes, hex (for `serverCertificateHashes`) */
  hash: string;
}

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const body = concat(parts);
  const n = body.byteLength;
  const len = n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return concat([new Uint8Array([tag, ...len]), body]);
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.byteLength));
  return out;
}

/** A DER INTEGER from unsigned big-endian bytes. */
function integer(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  return tlv(0x02, v[0]! & 0x80 ? concat([new Uint8Array([0]), v]) : v);
}

const SEQ = 0x30;
const ECDSA_SHA256 = tlv(SEQ, new Uint8Array([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]));
const text = (s: string) => new TextEncoder().encode(s);

function name(cn: string): Uint8Array {
  return tlv(SEQ, tlv(0x31, tlv(SEQ, new Uint8Array([0x06, 0x03, 0x55, 0x04, 0x03]), tlv(0x0c, text(cn)))));
}

function utcTime(d: Date): Uint8Array {
  const p = (n: number) => String(n).padStart(2, "0");
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, text(s));
}

function pem(label: string, der: Uint8Array): string {
  const b64 = btoa(String.fromCharCode(...der)).replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Makes a certificate for `localhost` and 127.0.0.1 (and `hostnames`), valid from now for `days` (max 14). */
export async function makeCertificate(options: { days?: number; hostnames?: string[] } = {}): Promise<DevCertificate> {
  const days = Math.min(options.days ?? 10, 14);
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const now = Date.now();
  const dns = ["localhost", ...(options.hostnames ?? [])].map((h) => tlv(0x82, text(h)));
  const san = tlv(SEQ, ...dns, tlv(0x87, new Uint8Array([127, 0, 0, 1])));
  const extensions = tlv(0xa3, tlv(SEQ, tlv(SEQ, new Uint8Array([0x06, 0x03, 0x55, 0x1d, 0x11]), tlv(0x04, san))));
  const tbs = tlv(
    SEQ,
    tlv(0xa0, integer(new Uint8Array([2]))), // X.509 v3
    integer(crypto.getRandomValues(new Uint8Array(16))),
    ECDSA_SHA256,
    name("localhost"),
    // a minute back: a client clock slightly behind still accepts it
    tlv(SEQ, utcTime(new Date(now - 60_000)), utcTime(new Date(now + days * 86_400_000 - 120_000))),
    name("localhost"),
    spki,
    extensions,
  );
  // WebCrypto signs as r‖s; X.509 wants SEQUENCE { INTEGER r, INTEGER s }
  const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, tbs));
  const sig = tlv(SEQ, integer(raw.subarray(0, 32)), integer(raw.subarray(32)));
  const der = tlv(SEQ, tbs, ECDSA_SHA256, tlv(0x03, new Uint8Array([0]), sig));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return {
    cert: pem("CERTIFICATE", der),
    key: pem("PRIVATE KEY", pkcs8),
    hash: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
  };
}

/** The SHA-256 (hex) of a PEM certificate's DER bytes: the hash of a certificate made elsewhere (openssl). */
export async function hashOfPem(pem: string): Promise<string> {
  const b64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The hash as `serverCertificateHashes` wants it. */
export function hashBytes(hex: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

if ((import.meta as { main?: boolean }).main) {
  const c = await makeCertificate();
  const deno = (globalThis as unknown as { Deno: { writeTextFile(p: string, s: string): Promise<void> } }).Deno;
  await deno.writeTextFile("cert.pem", c.cert);
  await deno.writeTextFile("key.pem", c.key);
  console.log(c.hash);
}
