// Talking to the server, and knowing whether we can: a request that fails, times out or meets a
// 5xx marks the connection down (navigator.onLine alone lies on captive or dead Wi-Fi).
export const connection = new EventTarget();
let online = navigator.onLine;

export class Unreachable extends Error {}

// API paths are from the app's root; under API Gateway's stage path (no custom domain) the page says
// which prefix goes first (`<html data-base>`, rendered by the server).
const BASE = document.documentElement.dataset.base || '';

export function isOnline() { return online; }

export function setOnline(value) {
  if (value === online) return;
  online = value;
  connection.dispatchEvent(new Event('change'));
}

/** `{status, body}` of a JSON call; throws Unreachable when no answer we can trust came back. */
export async function call(path, { method = 'GET', token, body, timeout = 4000, lang } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (lang) headers['Accept-Language'] = lang;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
                                   signal: controller.signal, cache: 'no-store' });
  } catch {
    setOnline(false);
    throw new Unreachable(path);
  } finally {
    clearTimeout(timer);
  }
  if (response.status >= 500) {
    setOnline(false);
    throw new Unreachable(`${path}: ${response.status}`);
  }
  setOnline(true);
  let parsed = null;
  try { parsed = await response.json(); } catch { parsed = null; }
  return { status: response.status, body: parsed };
}
