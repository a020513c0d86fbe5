/* The organiser's session: the token from this device's storage (never sent anywhere but the API's
   Authorization header), the API as the dashboard calls it (`../shared/api.js` with that token, any
   answer but 2xx an ApiError), and failures in words for the organiser. */
import {Unreachable, call} from "../shared/api.js";
import {t} from "../shared/texts.js";

const KEY = "kapi.dashboard.token";

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

/* The answer's JSON (null for none), or with `raw` the fetch Response to read (a CSV, an HTML
   preview); other options as `call`'s. Rejects with ApiError for an answer that is not 2xx, and with
   Unreachable when none came. */
export async function api(path, {raw = false, ...options} = {}) {
  const answer = await call(path, {...options, token: session.token});
  if (answer.status < 200 || answer.status > 299) {
    throw new ApiError(answer.status, answer.body);
  }
  return raw ? answer.response : answer.body;
}

export const get = (path) => api(path);
export const post = (path, body = {}) => api(path, {method: "POST", body});

/* What went wrong, in words for the organiser; validation errors list the fields the server named. */
export function explain(error) {
  if (error instanceof Unreachable) {
    return t("dashboard.error.offline");
  }
  if (!(error instanceof ApiError)) {
    return t("dashboard.error.unexpected");
  }
  const known = {401: "unauthorized", 403: "forbidden", 404: "not_found", 412: "precondition_failed",
                 413: "too_large", 429: "busy", 503: "busy"};
  if (error.status === 409) {
    return t(["invalid_state", "conflict", "sold_out"].includes(error.code) ? `dashboard.error.${error.code}`
      : "dashboard.error.conflict");
  }
  if (error.status === 400) {
    const fields = error.details.map((detail) => `${detail.field}: ${detail.message}`).join("; ");
    return fields ? t("dashboard.error.validation_fields", {fields}) : t("dashboard.error.validation");
  }
  return t(`dashboard.error.${known[error.status] || "unexpected"}`);
}
