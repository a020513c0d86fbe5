/* The one way the pages' scripts call the API: the scanner, the dashboard and the registration form.

   `call(path, options)` sends one request and resolves to the answer, whatever its status:
   `{status, body, headers, response}`, where `body` is the answer's JSON (null when it has none or
   is not JSON; `response`, the fetch Response, is then unread, for a CSV or an HTML answer).
   It rejects only with `Unreachable`, when no answer came: the network failed, or none arrived
   within `timeout` ms. What a status means is the page's to decide (the dashboard throws on
   anything but 2xx, the form shows each failure in words, the scanner decides offline).

   Every request is JSON: `body` (when given) is sent as JSON, with `Accept: application/json`
   (`headers` may ask for another type, and add any others), `Accept-Language` the page's language
   (so the API's messages speak it), `Authorization: Bearer <token>` when a `token` is given, and
   `cache: "no-store"`. Paths are from the app's root (`/api/…`): under API Gateway's stage path
   (no custom domain) the page says which prefix goes first (`<html data-base>`, "" or "/dev",
   rendered by the server).

   Whether the server can be reached: a request that fails, times out or meets a 5xx marks the
   connection down, any other answer up (`navigator.onLine` alone lies on captive or dead Wi-Fi).
   `connection` fires "change" when that flips; the scanner shows it and decides offline while down. */

import {lang} from "./texts.js";

export const BASE = document.documentElement.dataset.base || "";

/* No answer we can trust came back (see `call`). */
export class Unreachable extends Error {}

export const connection = new EventTarget();
let online = navigator.onLine;

export function isOnline() {
  return online;
}

export function setOnline(value) {
  if (value !== online) {
    online = value;
    connection.dispatchEvent(new Event("change"));
  }
}

/* Options: `method` ("GET"), `body`, `token`, `headers`, `timeout` (ms; none by default), and
   `unreachableOn5xx`: reject a 5xx with Unreachable too, for a caller that must treat a failing
   server as no server (the scanner then decides at the door). */
export async function call(path, {method = "GET", body, token, headers = {}, timeout = 0,
                                  unreachableOn5xx = false} = {}) {
  const sent = {"Accept": "application/json", "Accept-Language": lang, ...headers};
  if (token) {
    sent.Authorization = `Bearer ${token}`;
  }
  if (body !== undefined) {
    sent["Content-Type"] = "application/json";
  }
  const controller = new AbortController();
  const timer = timeout ? setTimeout(() => controller.abort(), timeout) : null;
  let response;
  try {
    response = await fetch(BASE + path, {method, headers: sent, cache: "no-store", signal: controller.signal,
                                         body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (failure) {
    setOnline(false);
    throw new Unreachable(path);
  } finally {
    clearTimeout(timer);
  }
  setOnline(response.status < 500);
  if (response.status >= 500 && unreachableOn5xx) {
    throw new Unreachable(`${path}: ${response.status}`);
  }
  let parsed = null;
  if (/json/i.test(response.headers.get("Content-Type") || "")) {
    try {
      parsed = await response.json();
    } catch (notJson) {
      parsed = null;
    }
  }
  return {status: response.status, body: parsed, headers: response.headers, response};
}
