// The checks the server makes, run before sending: required fields, and the schema's keywords the
// form may use (chalicelib/form_fields.py). Each problem is named by the JSON Schema keyword that
// failed; its words come from the field's `data-messages`, written by the server from the same
// catalogue as the API's own error messages.
import {fieldsOf, isShown, valueOf} from "./values.js";

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/u;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)$/;

// Organisers' `pattern`s (SPEC §16: organiser input cannot stall the service). The API matches every
// one with RE2, in linear time, and refuses at save what RE2 cannot match (back-references,
// look-arounds). The browser has only a backtracking engine (`new RegExp`): `^(a+)+$` against 30 "a"
// and a "!" would freeze the page for minutes. We chose to let the page test only patterns that cannot
// backtrack badly, and leave the others to the API (whose 400 lands under the field like the page's own
// check), rather than refuse them at save: RE2 matches `^([a-z]+\.)*[a-z]+$` safely, organisers write
// such patterns, and refusing them would cost the API a feature to protect a mere convenience of the
// page. A pattern the page tests: no quantified group that holds a quantifier or an alternative (nested
// quantifiers: exponential), at most MAX_CHOICES quantifiers that may match a varying count (each is a
// choice point: polynomial), and values of at most MAX_TESTED code points; anything unsure is the API's.
const MAX_CHOICES = 3;
const MAX_TESTED = 256;

// Whether a backtracking engine tests `pattern` in bounded time (see above); false when unsure.
export function pageMayTest(pattern) {
  let choices = 0;
  const groups = [{risky: false}];  // per open group: holds a varying quantifier or an alternative
  let last = null;  // the atom a quantifier would apply to: {group} for a closed group
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i];
    if (c === "\\") {
      if (/[1-9k]/.test(pattern[i + 1] || "")) return false;  // back-references (RE2 refuses them too)
      i += 1;
      last = {};
    } else if (c === "[") {
      i += 1;
      if (pattern[i] === "^") i += 1;
      if (pattern[i] === "]") i += 1;
      while (i < pattern.length && pattern[i] !== "]") i += pattern[i] === "\\" ? 2 : 1;
      last = {};
    } else if (c === "(") {
      if (pattern[i + 1] === "?" && pattern[i + 2] !== ":") return false;  // look-arounds, named, flags
      if (pattern[i + 1] === "?") i += 2;  // (?: a group that captures nothing
      groups.push({risky: false});
      last = null;
    } else if (c === ")") {
      if (groups.length < 2) return false;
      const closed = groups.pop();
      if (closed.risky) groups[groups.length - 1].risky = true;
      last = {group: closed};
    } else if (c === "|") {
      groups[groups.length - 1].risky = true;
      last = null;
    } else if ("*+?{".includes(c)) {
      const bounds = c === "{" ? /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i)) : null;
      if (c === "{" && !bounds) { last = {}; continue; }  // a literal brace
      const most = bounds ? (bounds[2] === undefined ? Number(bounds[1]) : Number(bounds[3] || Infinity)) : c === "?" ? 1 : Infinity;
      const varies = !bounds || most !== Number(bounds[1]);
      if (last?.group?.risky && most > 1) return false;  // (a+)+, (a|b)*, (a+){2}
      if (varies) {
        choices += 1;
        groups[groups.length - 1].risky = true;
      }
      if (bounds) i += bounds[0].length - 1;
      if (pattern[i + 1] === "?") i += 1;  // lazy
      last = null;
    } else {
      last = {};
    }
  }
  return groups.length === 1 && choices <= MAX_CHOICES;
}

// Whether `value` fails `pattern`, when the page tests it at all (else the API decides).
function failsPattern(pattern, value) {
  if (length(value) > MAX_TESTED || !pageMayTest(pattern)) return false;
  try {
    return !new RegExp(pattern, "u").test(value);
  } catch (notForThisEngine) {  // RE2 syntax a browser reads otherwise: the API decides
    return false;
  }
}

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
    if (schema.pattern !== undefined && failsPattern(schema.pattern, value)) {
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
