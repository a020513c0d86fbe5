// The registration page's script: conditional fields as answers change, the server's checks before
// sending, the registration to the API, and its answer on the page. Without it the form still
// posts to the page itself, and the server does all of this.
import {BASE, Unreachable, call} from "../shared/api.js";
import {clearErrors, showErrors} from "./errors.js";
import {problems} from "./checks.js";
import {failureText, showResult} from "./result.js";
import {watchConditions} from "./conditions.js";
import {registrationBody} from "./values.js";

const form = document.getElementById("registration");
const alert = document.getElementById("form-alert");
const progress = document.getElementById("form-progress");
const button = form && form.querySelector("button[type=submit]");
let sending = false;

// The registration to the API, with the form fill's Idempotency-Key: sending again (a double tap, a
// retry after a lost answer) gets the first answer back and registers nobody twice. `data-api` is
// rendered under the page's base path, which `call` puts first itself. No answer is the "network"
// failure, an answer that is not JSON "other".
async function send(body) {
  try {
    const answer = await call(form.dataset.api.slice(BASE.length), {
      method: "POST", body, headers: {"Idempotency-Key": form.elements.idempotency_key.value}});
    return {...answer, body: answer.body || {error: "other"}};
  } catch (error) {
    if (!(error instanceof Unreachable)) {
      throw error;
    }
    return {status: 0, body: {error: "network"}, headers: new Headers()};
  }
}

async function submit(event) {
  if (form.elements.website.value.trim()) {
    return;  // the honeypot is the server's to judge: let the browser post the form
  }
  event.preventDefault();
  if (sending) {
    return;  // a second tap while the first is on its way
  }
  clearErrors(form, alert);
  const found = problems(form);
  if (found.length) {
    showErrors(form, alert, found, form.dataset.errors);
    return;
  }
  const body = registrationBody(form);
  sending = true;
  button.disabled = true;
  progress.textContent = form.dataset.sending;
  const answer = await send(body);
  sending = false;
  button.disabled = false;
  progress.textContent = "";
  if (answer.status === 200 || answer.status === 201) {
    showResult(form, alert, answer.body.status, answer.body.email);
  } else if (answer.status === 400 && answer.body.error === "validation_error") {
    showErrors(form, alert, answer.body.details || [], form.dataset.errors);
  } else {  // 409 already registered (on the email field too), closed, sold out; 429; 503; no answer
    const seconds = answer.body.retry_after || answer.headers.get("Retry-After");
    const summary = failureText(answer.body.error || "other", seconds);
    showErrors(form, alert, answer.body.details || [], summary);
  }
}

if (form) {
  watchConditions(form);
  form.addEventListener("submit", submit);
}
