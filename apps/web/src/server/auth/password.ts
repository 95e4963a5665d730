// Passwords are stored only as argon2id hashes (OWASP's minimum: 19 MiB, 2 passes, 1 lane).
import { hash, verify } from "@node-rs/argon2";

const PARAMS = {
  // 2 = Argon2id (the package exports it as an ambient const enum, which isolated modules cannot read).
  algorithm: 2,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

/** False for a wrong password and for a malformed hash (never throws on bad input). */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * A hash of a password nobody knows, verified when the account does not exist, so a sign-in
 * takes as long for an unknown email as for a wrong password (no account enumeration by timing).
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(`decoy-${Math.random()}`);
  return decoy;
}
