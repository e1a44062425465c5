// Private module: session data encrypted at rest (`encryptAtRest`). A
// record's values and flash values are sealed with AES-256-GCM under a key
// derived (HKDF-SHA-256) from the session id itself. The store holds only
// the id's SHA-256, so neither a dump of the store nor the server's
// configuration opens a record: only a request carrying the cookie does.
// What the manager needs without the id stays readable, and is bound to the
// ciphertext as additional data so that it cannot be changed in the store:
// the creation time, the subject and label (for the user-session index) and
// the lifetime.

import {
  decodeBase64urlNoPadding,
  encodeBase64urlNoPadding,
} from "./_base64url.ts";
import type { SessionRecord } from "./_record.ts";

/** Format version of sealed values, their first byte. */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const SALT = encoder.encode("sesame record at rest");
const INFO = encoder.encode("aes-256-gcm v1");

/** The key of one session's records, derived from its id when first used. */
export class RecordSecret {
  #id: string;
  #key: Promise<CryptoKey> | undefined;

  constructor(id: string) {
    this.#id = id;
  }

  /** The AES-256-GCM key, derived once. */
  key(): Promise<CryptoKey> {
    return this.#key ??= deriveKey(this.#id);
  }
}

async function deriveKey(id: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey(
    "raw",
    encoder.encode(id),
    "HKDF",
    false,
    ["deriveKey"],
  );
  return await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: SALT, info: INFO },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** The readable part of a record, as the additional data of its seal. */
function additionalData(record: SessionRecord): Uint8Array<ArrayBuffer> {
  return encoder.encode(
    JSON.stringify([
      record.createdAt,
      record.subject ?? null,
      record.label ?? null,
      record.lifetime ?? null,
    ]),
  );
}

/** The record with its values and flash values sealed. */
export async function sealRecord(
  record: SessionRecord,
  secret: RecordSecret,
): Promise<SessionRecord> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const plaintext = `{"data":${JSON.stringify(record.data)},"flash":${
    JSON.stringify(record.flash)
  }}`;
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: additionalData(record) },
      await secret.key(),
      encoder.encode(plaintext),
    ),
  );
  const sealed = new Uint8Array(1 + IV_BYTES + ciphertext.length);
  sealed[0] = VERSION;
  sealed.set(iv, 1);
  sealed.set(ciphertext, 1 + IV_BYTES);
  return { ...record, sealed: encodeBase64urlNoPadding(sealed) };
}

/**
 * Opens a sealed record in place: its values and flash values back, the
 * seal gone. `false` when it does not open (another key, tampered with).
 */
export async function openRecord(
  record: SessionRecord,
  secret: RecordSecret,
): Promise<boolean> {
  const bytes = decodeBase64urlNoPadding(record.sealed!);
  if (
    bytes === undefined || bytes.length < 1 + IV_BYTES + TAG_BYTES ||
    bytes[0] !== VERSION
  ) {
    return false;
  }
  let parsed: unknown;
  try {
    const plaintext = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: bytes.subarray(1, 1 + IV_BYTES),
        additionalData: additionalData(record),
      },
      await secret.key(),
      bytes.subarray(1 + IV_BYTES),
    );
    parsed = JSON.parse(decoder.decode(plaintext));
  } catch {
    return false;
  }
  const { data, flash } = parsed as { data?: unknown; flash?: unknown };
  if (!isPlainObject(data) || !isPlainObject(flash)) return false;
  record.data = data;
  record.flash = flash;
  delete record.sealed;
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
