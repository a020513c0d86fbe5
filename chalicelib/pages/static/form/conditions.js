// Conditional fields (the schema's if/then/else and dependentRequired, read by the server into
// `data-conditions`): shown, enabled and required while a condition holds, hidden and disabled
// (so neither checked nor sent) otherwise. The tests mean what JSON Schema's `if` means: an absent
// answer passes unless the `if` requires it.
import {answersOf, fieldsOf} from "./values.js";

function same(answer, option) {
  return typeof answer === typeof option && answer === option;
}

function holds(test, answers) {
  const name = test.field.slice("answers.".length);
  if (!(name in answers)) {
    return !test.present;
  }
  if (test.values === null) {
    return true;
  }
  const value = answers[name];
  const items = Array.isArray(value) ? value : [value];
  return items.some((item) => test.values.some((option) => same(item, option)));
}

export function applies(field, answers) {
  const conditions = JSON.parse(field.dataset.conditions || "[]");
  return conditions.length === 0 || conditions.some(
    (condition) => condition.tests.every((test) => holds(test, answers)) !== condition.negate);
}

export function updateConditions(form) {
  // Conditions test only fields that are not conditional themselves, so one pass settles them.
  const answers = answersOf(form, {shownOnly: false});
  for (const field of fieldsOf(form)) {
    if (!field.dataset.conditions) {
      continue;
    }
    const shown = applies(field, answers);
    field.hidden = !shown;
    const mark = field.querySelector(".mark");
    if (mark) {
      mark.hidden = !shown;
    }
    for (const input of field.querySelectorAll("input, select, textarea")) {
      input.disabled = !shown;
      input.required = Boolean(mark) && shown && field.dataset.kind !== "checkboxes";
    }
  }
}

export function watchConditions(form) {
  updateConditions(form);
  form.addEventListener("input", () => updateConditions(form));
  form.addEventListener("change", () => updateConditions(form));
}
