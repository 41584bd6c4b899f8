import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

// Agents' passwords, hashed with scrypt (memory-hard: 16 MiB a guess at N=2^14, r=8), each with its own salt.
const PARAMS = { N: 16_384, r: 8, p: 1 }
const KEY_LENGTH = 32

function derive (password: string, salt: Buffer, params: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { ...params, maxmem: 64 * 1024 * 1024 }, (err, key) => err === null ? resolve(key) : reject(err))
  })
}

/** `scrypt$N$r$p$salt$hash` (base64url): the parameters travel with the hash, so they can be raised later. */
export async function hashPassword (password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, PARAMS)
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** Constant time in the key; a malformed hash is a mismatch. */
export async function verifyPassword (password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false
  const expected = Buffer.from(hash, 'base64url')
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) })
  return key.length === expected.length && timingSafeEqual(key, expected)
}

/** Checked against when the email is unknown, so an unknown account takes as long as a wrong password. */
export const DUMMY_HASH = await hashPassword(randomBytes(16).toString('base64url'))

/** A password for an agent who was given none: 18 random bytes, typeable. */
export function generatePassword (): string {
  return randomBytes(18).toString('base64url')
}
