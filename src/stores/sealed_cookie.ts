/**
 * The sealed cookie store: sessions that travel encrypted in the cookie
 * itself, for deployments with no server-side store.
 *
 * @example Sessions without a store
 * ```ts
 * import { createSessionManager } from "@sesame/session";
 * import { SealedCookieStore } from "@sesame/session/sealed-cookie";
 *
 * const sessions = createSessionManager({
 *   store: new SealedCookieStore({
 *     secrets: ["at least 32 random characters, kept secret"],
 *   }),
 * });
 * ```
 *
 * It is not for sessions that must be revocable on the server: see
 * {@linkcode SealedCookieStore} for what it cannot do.
 *
 * @module
 */
import { BACKEND, type SessionBackend } from "../_backend.ts";
import type { ManagerConfig } from "../manager_options.ts";
import { describeValue } from "../_options.ts";
import { SealedBackend } from "./_sealed_backend.ts";
import {
  decodeBase64urlNoPadding,
  encodeBase64urlNoPadding,
} from "../_base64url.ts";

/**
 * Options of {@linkcode SealedCookieStore}.
 *
 * @example Two secrets during a rotation
 * ```ts
 * import { SealedCookieStore } from "@sesame/session/sealed-cookie";
 *
 * const store = new SealedCookieStore({
 *   secrets: [
 *     "a new secret of at least 32 characters!!",
 *     "the old secret, kept until its cookies are gone",
 *   ],
 * });
 * ```
 */
export interface SealedCookieStoreOptions {
  /**
   * The secrets that seal and unseal session cookies, newest first: the
   * first seals every cookie, and every one of them unseals. To rotate, put
   * a new secret first and drop the old one once the cookies it sealed have
   * expired (the absolute timeout).
   *
   * Each is a string of at least 32 characters (random, such as
   * `openssl rand -base64 32` prints) or at least 32 random bytes. An AES-256
   * key is derived from each with HKDF-SHA-256.
   */
  secrets: readonly (string | Uint8Array)[];
}

/** Format version of sealed cookies, the first byte of each. */
const VERSION = 1;
/** Bytes: version, key id, AES-GCM nonce, and the GCM tag. */
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const HEADER_BYTES = 1 + KEY_ID_BYTES;
const TAG_BYTES = 16;
const MIN_SECRET_LENGTH = 32;
const ACTION = "Cannot create sealed cookie store";
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

interface SealingKey {
  id: Uint8Array;
  idText: string;
  key: CryptoKey;
}

/**
 * A stateless store: the session travels in the cookie itself, encrypted and
 * authenticated with AES-256-GCM, so no server keeps anything. For edge
 * deployments with no key-value store at hand.
 *
 * The cookie is sealed with the first secret and unsealed with any of them,
 * so secrets can be rotated. Expiry lives inside the sealed payload and is
 * enforced on the server; a cookie that was tampered with, sealed with an
 * unknown secret, or is expired counts as no session.
 *
 * What it cannot do, by its nature:
 * - **Revocation**: the server keeps nothing, so it cannot end a session
 *   early. `destroy()` asks the browser to drop the cookie, and
 *   `regenerate()` issues a new cookie, but a copy of the old cookie stays
 *   valid until it expires. Keep the timeouts short, or rotate the secrets to
 *   end every session at once.
 * - **Size**: everything must fit in one cookie of 4096 bytes; a commit that
 *   would exceed it throws `SessionTooLargeError` and sends nothing.
 * - **Concurrency**: each response carries the whole session, so of two
 *   concurrent requests that change it, the browser keeps the cookie of the
 *   one that answered last.
 * - **Listing a user's sessions**: there is no index.
 *
 * @example Sessions in the cookie, on a Worker
 * ```ts ignore
 * import { createSessionManager } from "@sesame/session";
 * import { SealedCookieStore } from "@sesame/session/sealed-cookie";
 *
 * export default {
 *   fetch(request: Request, env: { SESSION_SECRET: string }) {
 *     const sessions = createSessionManager({
 *       store: new SealedCookieStore({ secrets: [env.SESSION_SECRET] }),
 *     });
 *     return sessions.handler((_request, session) => {
 *       const visits = (session.get("visits") as number ?? 0) + 1;
 *       session.set("visits", visits);
 *       return Response.json({ visits });
 *     })(request);
 *   },
 * };
 * ```
 */
export class SealedCookieStore {
  /** Marks this store as one that keeps sessions in the cookie. */
  readonly sealed = true;
  #keys: Promise<SealingKey[]>;

  /**
   * Checks the secrets and starts deriving their keys.
   *
   * @param options The secrets.
   * @throws {TypeError} When there is no secret, or one is too short or of
   * the wrong type.
   */
  constructor(options: SealedCookieStoreOptions) {
    const secrets = options?.secrets;
    if (!Array.isArray(secrets) || secrets.length === 0) {
      throw new TypeError(
        `${ACTION}: secrets must be a non-empty array of strings or byte arrays, received ${
          // Never echo a secret passed by mistake as a bare string.
          typeof secrets === "string" ? "a string" : describeValue(secrets)}`,
      );
    }
    const material = secrets.map((secret, i) => {
      if (typeof secret === "string") {
        if (secret.length < MIN_SECRET_LENGTH) {
          throw new TypeError(
            `${ACTION}: secrets[${i}] must be at least ${MIN_SECRET_LENGTH} characters, received ${secret.length} characters (generate one with: openssl rand -base64 32)`,
          );
        }
        return encoder.encode(secret);
      }
      if (secret instanceof Uint8Array) {
        if (secret.length < MIN_SECRET_LENGTH) {
          throw new TypeError(
            `${ACTION}: secrets[${i}] must be at least ${MIN_SECRET_LENGTH} bytes, received ${secret.length} bytes`,
          );
        }
        return new Uint8Array(secret);
      }
      throw new TypeError(
        `${ACTION}: secrets[${i}] must be a string or a Uint8Array, received a value of type ${typeof secret}`,
      );
    });
    this.#keys = Promise.all(material.map(deriveKey));
    // A rejection surfaces on first use; do not report it as unhandled now.
    this.#keys.catch(() => {});
  }

  /**
   * @internal The manager's backend for this store: sessions sealed in the
   * cookie instead of records in a store.
   *
   * @param config The manager's configuration.
   * @returns The backend.
   */
  [BACKEND](config: ManagerConfig): SessionBackend {
    return new SealedBackend(this, config);
  }

  /**
   * Encrypts and authenticates a session record with the first secret.
   *
   * @param plaintext The record's JSON text.
   * @returns The cookie value: base64url of the format version, the key's
   * id, a random nonce and the AES-GCM ciphertext with its tag.
   */
  async seal(plaintext: string): Promise<string> {
    const [key] = await this.#keys;
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const header = new Uint8Array(HEADER_BYTES);
    header[0] = VERSION;
    header.set(key.id, 1);
    const ciphertext = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: header },
        key.key,
        encoder.encode(plaintext),
      ),
    );
    const sealed = new Uint8Array(HEADER_BYTES + IV_BYTES + ciphertext.length);
    sealed.set(header);
    sealed.set(iv, HEADER_BYTES);
    sealed.set(ciphertext, HEADER_BYTES + IV_BYTES);
    return encodeBase64urlNoPadding(sealed);
  }

  /**
   * Decrypts a cookie value sealed by this store with any of its secrets.
   *
   * @param sealed The cookie value, from an untrusted request.
   * @returns The record's JSON text, or `undefined` when the value is
   * malformed, tampered with, or sealed with an unknown secret. Never
   * throws for any input.
   */
  async unseal(sealed: string): Promise<string | undefined> {
    const bytes = decodeBase64urlNoPadding(sealed);
    if (
      bytes === undefined ||
      bytes.length < HEADER_BYTES + IV_BYTES + TAG_BYTES ||
      bytes[0] !== VERSION
    ) {
      return undefined;
    }
    const keys = await this.#keys;
    const idText = String.fromCharCode(...bytes.subarray(1, HEADER_BYTES));
    const key = keys.find((k) => k.idText === idText);
    if (key === undefined) return undefined;
    try {
      const plaintext = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: bytes.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES),
          additionalData: bytes.subarray(0, HEADER_BYTES),
        },
        key.key,
        bytes.subarray(HEADER_BYTES + IV_BYTES),
      );
      return decoder.decode(plaintext);
    } catch {
      return undefined;
    }
  }
}

/** Derives the AES-256-GCM key and the key id of one secret (HKDF-SHA-256). */
async function deriveKey(secret: Uint8Array): Promise<SealingKey> {
  const material = await crypto.subtle.importKey(
    "raw",
    secret as Uint8Array<ArrayBuffer>,
    "HKDF",
    false,
    ["deriveKey", "deriveBits"],
  );
  const salt = encoder.encode("sesame sealed cookie");
  const key = await crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt,
      info: encoder.encode("aes-256-gcm v1"),
    },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
  const id = new Uint8Array(
    await crypto.subtle.deriveBits(
      {
        name: "HKDF",
        hash: "SHA-256",
        salt,
        info: encoder.encode("key id v1"),
      },
      material,
      KEY_ID_BYTES * 8,
    ),
  );
  return { id, idText: String.fromCharCode(...id), key };
}
