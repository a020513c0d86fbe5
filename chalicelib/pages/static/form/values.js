// What the form holds, typed as the API wants it: the same reading as the server's (pages/form.py),
// so the body sent here is the body the page would post without JavaScript.
import {withOffset} from "./datetime.js";

export function fieldsOf(form) {
  return Array.from(form.querySelectorAll("[data-path]"));
}

function inputs(field) {
  return Array.from(field.querySelectorAll("input, select, textarea"));
}

// The field's value: undefined when blank; numbers that do not parse stay strings, so the checks
// (and the server) name the problem.
export function valueOf(field, timeZone) {
  const kind = field.dataset.kind;
  const controls = inputs(field);
  if (kind === "boolean") {
    return controls[0].checked;
  }
  if (kind === "checkboxes") {
    const chosen = controls.filter((input) => input.checked).map((input) => input.value);
    return chosen.length ? chosen : undefined;
  }
  if (kind === "radio") {
    const chosen = controls.find((input) => input.checked);
    return chosen ? chosen.value : undefined;
  }
  const raw = controls[0].value.trim();
  if (raw === "") {
    return undefined;
  }
  if (kind === "number" || kind === "integer") {
    const number = Number(raw.replace(",", "."));
    return raw.match(/^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/) && Number.isFinite(number) ? number : raw;
  }
  if (kind === "date-time") {
    return withOffset(raw, timeZone);
  }
  return raw;
}

export function isShown(field) {
  return !field.hidden;
}

// The answers object, from the shown fields only (a hidden conditional field's answer is left out).
export function answersOf(form, {shownOnly = true} = {}) {
  const answers = {};
  for (const field of fieldsOf(form)) {
    const path = field.dataset.path;
    if (!path.startsWith("answers.") || (shownOnly && !isShown(field))) {
      continue;
    }
    const value = valueOf(field, form.dataset.timezone);
    if (value !== undefined) {
      answers[path.slice("answers.".length)] = value;
    }
  }
  return answers;
}

export function registrationBody(form) {
  const fields = Object.fromEntries(fieldsOf(form).map((field) => [field.dataset.path, field]));
  const body = {
    name: valueOf(fields.name) || "",
    email: valueOf(fields.email) || "",
    language: form.dataset.language,
    answers: answersOf(form),
    consent: valueOf(fields.consent) === true,
  };
  const ticketType = valueOf(fields.ticket_type);
  if (ticketType !== undefined) {
    body.ticket_type = ticketType;
  }
  return body;
}
