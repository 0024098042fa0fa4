/** 20-character URL-safe random ids (15 random bytes), the shape of engine.io's `base64id`. */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(15));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_");
}
