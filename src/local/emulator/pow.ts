/**
 * The temporary-account proof-of-work (cloudflare-api.md §2b): a sequential
 * SHA-256 chain. Pure apart from hashing; `solve` exists for tests and for
 * clients other than wrangler, `verify` is what the provisioning call runs.
 *
 * c0 = SHA256(seed); c_j = SHA256^g(c_{j-1}) for j = 1..k; the solution is
 * base64(c0 ‖ … ‖ ck), standard alphabet, padded.
 */
import { createHash } from "node:crypto";

export interface PowParams {
  /** 32 random bytes; sent base64url-encoded. */
  seed: Uint8Array;
  k: number;
  g: number;
}

function sha256(data: Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}

function iterate(start: Uint8Array, g: number): Buffer {
  let digest = Buffer.from(start);
  for (let i = 0; i < g; i++) digest = sha256(digest);
  return digest;
}

/** Computes the checkpoints wrangler would send, as standard padded base64. */
export function solve({ seed, k, g }: PowParams): string {
  const parts: Buffer[] = [sha256(seed)];
  for (let j = 1; j <= k; j++) parts.push(iterate(parts[j - 1]!, g));
  return Buffer.concat(parts).toString("base64");
}

/** Why a solution was refused, or null when it is correct. */
export function verify({ seed, k, g }: PowParams, checkpoints: string): string | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(checkpoints)) return "checkpoints are not standard base64";
  const bytes = Buffer.from(checkpoints, "base64");
  if (bytes.length !== (k + 1) * 32)
    return `expected ${(k + 1) * 32} bytes of checkpoints, got ${bytes.length}`;
  const segment = (j: number) => bytes.subarray(j * 32, (j + 1) * 32);
  if (!sha256(seed).equals(segment(0))) return "first checkpoint is not SHA-256 of the seed";
  for (let j = 1; j <= k; j++) {
    if (!iterate(segment(j - 1), g).equals(segment(j)))
      return `checkpoint ${j} does not follow from checkpoint ${j - 1}`;
  }
  return null;
}
