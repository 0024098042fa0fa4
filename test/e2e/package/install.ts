/**
 * Packs the repository once and installs the tarball into a fresh app the way a user would, offline: the
 * app gets a package-lock.json whose third-party entries are copied from the repository's own lock (same
 * versions, same integrity), so `npm ci --offline` takes every tarball from the npm cache that installing
 * the repository filled, and the registry is never asked.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

const repoLock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { packages: Record<string, LockEntry> };

/** The lock key a package `name` required from `from` resolves to (Node's upward node_modules walk). */
function resolveKey(from: string, name: string): string | undefined {
  for (let dir = from;; dir = dir.slice(0, Math.max(0, dir.lastIndexOf("/node_modules/")))) {
    const key = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (repoLock.packages[key]) return key;
    if (!dir) return undefined;
  }
}

export interface Packed {
  file: string;
  /** number of files in the tarball */
  files: number;
  /** tarball size in bytes */
  size: number;
  unpackedSize: number;
}

/** `npm pack` (which runs `prepack`, the build) into `dir`. */
export function pack(dir: string): Packed {
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dir], { encoding: "utf8" });
  const info = JSON.parse(out.slice(out.indexOf("["))) as {
    filename: string;
    size: number;
    unpackedSize: number;
    entryCount: number;
  }[];
  const p = info[0]!;
  return { file: join(dir, p.filename), files: p.entryCount, size: p.size, unpackedSize: p.unpackedSize };
}

/** Writes package.json + package-lock.json for an app depending on the tarball and `deps`, then `npm ci --offline`. */
export function installApp(dir: string, tarball: string, deps: string[]): void {
  const packages: Record<string, LockEntry> = {};
  const visit = (key: string): void => {
    if (packages[key]) return;
    const { dev: _d, devOptional: _o, optional: _p, peer: _e, ...entry } = repoLock.packages[key]!;
    packages[key] = entry;
    const meta = entry.peerDependenciesMeta ?? {};
    const wanted = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter((n) => !meta[n]?.optional),
    ];
    for (const name of wanted) {
      const dep = resolveKey(key, name);
      if (!dep) throw new Error(`${key} needs ${name}, which the repository's lock does not hold`);
      visit(dep);
    }
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      const dep = resolveKey(key, name);
      if (dep) visit(dep);
    }
  };
  const versions: Record<string, string> = {};
  for (const name of deps) {
    const key = `node_modules/${name}`;
    if (!repoLock.packages[key]) throw new Error(`${name} is not installed at the top level of the repository`);
    versions[name] = repoLock.packages[key].version!;
    visit(key);
  }
  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as LockEntry & { name: string };
  const spec = `file:${tarball}`;
  const dependencies = { portio: spec, ...versions };
  packages[""] = { name: "app", dependencies };
  packages["node_modules/portio"] = {
    version: pkg.version!,
    resolved: spec,
    integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
    license: "MIT",
    peerDependencies: pkg.peerDependencies!,
    peerDependenciesMeta: pkg.peerDependenciesMeta!,
  };
  const manifest = { name: "app", private: true, type: "module", dependencies };
  writeFileSync(join(dir, "package.json"), JSON.stringify(manifest, null, 2));
  writeFileSync(
    join(dir, "package-lock.json"),
    JSON.stringify({ name: "app", lockfileVersion: 3, requires: true, packages }, null, 2),
  );
  execFileSync("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
}
