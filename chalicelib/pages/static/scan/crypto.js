// Ticket secrets checked on the device: Ed25519 with WebCrypto where the browser has it, else the
// vendored @noble/ed25519; and a ticket's name opened with a key derived from its own secret
// (HKDF-SHA256 → AES-256-GCM, as chalicelib/checkin/offline.py seals it).
const DOMAIN = new TextEncoder().encode('kapi-ticket-v1\0');
const NAME_INFO = 'kapi-name-v1\0';
const PAYLOAD = 12;
const SIGNATURE = 64;
const keys = new Map();
let noble;

function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const out = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    const index = alphabet.indexOf(char);
    if (index < 0) return null;
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

export function base64url(text) {
  const plain = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(plain, (c) => c.charCodeAt(0));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

/** `{keyId, registrationId, revision, payload, signature}` of a well-formed secret, else null. */
export function parseSecret(secret) {
  const text = secret.trim().toUpperCase();
  if (!/^[A-Z2-7]{122}$/.test(text)) return null;
  const raw = base32(text);
  if (!raw || raw.length !== PAYLOAD + SIGNATURE) return null;
  const payload = raw.slice(0, PAYLOAD);
  const id = Array.from(payload.slice(1, 11), (b) => b.toString(2).padStart(8, '0')).join('')
    .match(/.{5}/g).map((bits) => 'abcdefghijklmnopqrstuvwxyz234567'[parseInt(bits, 2)]).join('');
  return { text, keyId: payload[0], registrationId: id, revision: payload[11], payload,
           signature: raw.slice(PAYLOAD) };
}

async function webCryptoVerify(publicKey, signature, message) {
  let key = keys.get(publicKey);
  if (!key) {
    key = await crypto.subtle.importKey('raw', base64url(publicKey), { name: 'Ed25519' }, false, ['verify']);
    keys.set(publicKey, key);
  }
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
}

async function fallbackVerify(publicKey, signature, message) {
  noble ??= await import(document.getElementById('scanner').dataset.ed25519);
  return noble.verifyAsync(signature, message, base64url(publicKey));
}

let verifier = webCryptoVerify;

/** Whether Kapı signed this ticket for `eventId` with one of the bundle's keys. */
export async function verifyTicket(ticket, eventId, publicKeys) {
  const key = publicKeys.find((k) => Number(k.key_id) === ticket.keyId);
  if (!key) return false;
  const message = concat(DOMAIN, new TextEncoder().encode(eventId), new Uint8Array([0]), ticket.payload);
  try {
    return await verifier(key.public_key, ticket.signature, message);
  } catch (error) {
    if (verifier === fallbackVerify) throw error;
    verifier = fallbackVerify; // this browser's WebCrypto has no Ed25519
    return verifier(key.public_key, ticket.signature, message);
  }
}

/** The display name sealed for this ticket, or null when it cannot be opened. */
export async function openName(eventId, ticket, sealed) {
  try {
    const raw = base64url(sealed);
    const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(ticket.text), 'HKDF', false,
                                                   ['deriveKey']);
    const key = await crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode(NAME_INFO + eventId) },
      material, { name: 'AES-GCM', length: 256 }, false, ['decrypt']);
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: raw.slice(0, 12), additionalData: new TextEncoder().encode(ticket.registrationId) },
      key, raw.slice(12));
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}
