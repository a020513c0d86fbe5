/* The dashboard's texts: the server renders its catalogue (area `dashboard`, the page's language) into
   `data-texts`, so the scripts hold no user-facing words. Templates use `{name}` placeholders like the
   server's catalogues. */
const root = document.getElementById("dashboard");
const texts = JSON.parse(root.dataset.texts);

export const lang = root.dataset.lang;

export function t(key, params = {}) {
  const template = texts[`dashboard.${key}`];
  if (template === undefined) {
    throw new Error(`missing text dashboard.${key}`);
  }
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/* A `{tr, az, en}` map in the page's language, then English, Turkish, Azerbaijani (as the server picks). */
export function localized(map) {
  if (!map) {
    return "";
  }
  for (const code of [lang, "en", "tr", "az"]) {
    if (map[code]) {
      return map[code];
    }
  }
  return Object.values(map).find(Boolean) || "";
}

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
