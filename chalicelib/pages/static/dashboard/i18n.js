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

/* A time of the event in the event's own zone, in the page's language. */
export function eventTime(iso, timeZone, options = {dateStyle: "medium", timeStyle: "short"}) {
  return new Intl.DateTimeFormat(lang, {...options, timeZone}).format(new Date(iso));
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
