/* The API as the dashboard calls it: the organiser's token from this device's storage (never sent
   anywhere but the API's Authorization header), JSON in and out, and failures as ApiError with a
   localised explanation. */
import {lang, t} from "./i18n.js";

const KEY = "kapi.dashboard.token";
/* Where the app sits on its host: "" under a custom domain, "/dev" under API Gateway's stage path
   (`<html data-base>`, rendered by the server). Every API path here is from the app's root. */
export const BASE = document.documentElement.dataset.base || "";

export const session = {
  get token() {
    return localStorage.getItem(KEY);
  },
  keep(token) {
    localStorage.setItem(KEY, token);
  },
  forget() {
    localStorage.removeItem(KEY);
  },
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.code = body ? body.error : null;
    this.details = (body && body.details) || [];
  }
}

export async function call(method, path, {body, headers = {}, raw = false} = {}) {
  const sent = {Authorization: `Bearer ${session.token}`, "Accept-Language": lang, ...headers};
  if (body !== undefined) {
    sent["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(BASE + path, {method, headers: sent, cache: "no-store",
                                  body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (failure) {
    throw new ApiError(0, null);
  }
  if (!response.ok) {
    let answer = null;
    try {
      answer = await response.json();
    } catch (notJson) {
      answer = null;
    }
    throw new ApiError(response.status, answer);
  }
  if (raw) {
    return response;
  }
  return response.status === 204 ? null : response.json();
}

export const get = (path) => call("GET", path);
export const post = (path, body = {}) => call("POST", path, {body});

/* What went wrong, in words for the organiser; validation errors list the fields the server named. */
export function explain(error) {
  if (!(error instanceof ApiError)) {
    return t("error.unexpected");
  }
  const known = {0: "offline", 401: "unauthorized", 403: "forbidden", 404: "not_found", 412: "precondition_failed",
                 413: "too_large", 429: "busy", 503: "busy"};
  if (error.status === 409) {
    return t(["invalid_state", "conflict", "sold_out"].includes(error.code) ? `error.${error.code}` : "error.conflict");
  }
  if (error.status === 400) {
    const fields = error.details.map((detail) => `${detail.field}: ${detail.message}`).join("; ");
    return fields ? t("error.validation_fields", {fields}) : t("error.validation");
  }
  return t(`error.${known[error.status] || "unexpected"}`);
}
