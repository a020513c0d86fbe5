// The checks the server makes, run before sending: required fields, and the schema's keywords the
// form may use (chalicelib/form_fields.py). Each problem is named by the JSON Schema keyword that
// failed; its words come from the field's `data-messages`, written by the server from the same
// catalogue as the API's own error messages.
import {fieldsOf, isShown, valueOf} from "./values.js";

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/u;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)$/;

function isRequired(field) {
  const mark = field.querySelector(".mark");
  return field.dataset.required === "true" || Boolean(mark && !mark.hidden);
}

function length(text) {
  return Array.from(text).length;  // code points, as JSON Schema counts
}

// The first keyword the value fails, in the order a person fixes things; null if none.
export function firstProblem(field, value) {
  const schema = JSON.parse(field.dataset.schema || "{}");
  const kind = field.dataset.kind;
  if (kind === "boolean") {
    return schema.const === true && value !== true && isRequired(field) ? "const" : null;
  }
  if (value === undefined) {
    return isRequired(field) ? "required" : null;
  }
  if ((kind === "number" || kind === "integer") &&
      (typeof value !== "number" || (kind === "integer" && !Number.isInteger(value)))) {
    return "type";
  }
  if (typeof value === "string") {
    if ((schema.format === "email" && !EMAIL.test(value)) ||
        (schema.format === "date" && !DATE.test(value)) ||
        (schema.format === "date-time" && !DATE_TIME.test(value))) {
      return "format";
    }
    if (schema.minLength !== undefined && length(value) < schema.minLength) {
      return "minLength";
    }
    if (schema.maxLength !== undefined && length(value) > schema.maxLength) {
      return "maxLength";
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) {
      return "pattern";
    }
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) {
      return "minimum";
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      return "maximum";
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      return "minItems";
    }
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      return "maxItems";
    }
  }
  return null;
}

// [{field: path, message}] for every shown field with a problem, in the page's order: the shape of
// the API's 400 details, so both land on the page the same way.
export function problems(form) {
  const found = [];
  for (const field of fieldsOf(form)) {
    if (!isShown(field)) {
      continue;
    }
    const keyword = firstProblem(field, valueOf(field, form.dataset.timezone));
    if (keyword) {
      const messages = JSON.parse(field.dataset.messages || "{}");
      found.push({field: field.dataset.path, message: messages[keyword] || messages.invalid || ""});
    }
  }
  return found;
}
