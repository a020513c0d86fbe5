/* What the dashboard draws with: elements built without parsing HTML, and numbers and the event's
   times in the page's language. (Its words come from ../shared/texts.js.) */
import {lang} from "../shared/texts.js";

const numbers = new Intl.NumberFormat(lang);
export function number(value) {
  return numbers.format(value);
}

// Chromium ships no Azerbaijani calendar data: it falls back to ICU's root patterns, whose months read
// "M05" ("2027 M05 19"). A language the browser formats so gets the numeric style Azerbaijani uses:
// 19.05.2027 10:00.
const knownToBrowser = !/M\d/.test(new Intl.DateTimeFormat(lang, {month: "long"}).format(new Date(2027, 4, 19)));

/* A time of the event in the event's own zone, in the page's language (with a date unless only
   `hour`/`minute` are asked for). */
export function eventTime(iso, timeZone, options = {dateStyle: "medium", timeStyle: "short"}) {
  if (knownToBrowser) {
    return new Intl.DateTimeFormat(lang, {...options, timeZone}).format(new Date(iso));
  }
  const numeric = new Intl.DateTimeFormat("en-GB", {timeZone, hourCycle: "h23", year: "numeric", month: "2-digit",
                                                    day: "2-digit", hour: "2-digit", minute: "2-digit"});
  const p = Object.fromEntries(numeric.formatToParts(new Date(iso)).map((part) => [part.type, part.value]));
  const time = `${p.hour}:${p.minute}`;
  return options.dateStyle ? `${p.day}.${p.month}.${p.year} ${time}` : time;
}

/* Build an element: el("td", {class: "x", dataset: {id: 1}}, "text", child). Text is never parsed as HTML. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else if (name === "on") {
      for (const [type, handler] of Object.entries(value)) {
        node.addEventListener(type, handler);
      }
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}
