/* The page's words, for the scripts of every page: the scanner, the dashboard and the registration form.

   The server renders the texts a page's scripts show into the `data-texts` attribute of the page's
   root element, in the page's language (English where a translation is missing), keyed as in the
   catalogues, chalicelib/i18n/messages/<area>.<lang>.json: `scan.queue`, `checkin.reason.revoked`,
   `dashboard.error.offline`. A page whose scripts show no text of their own (the registration form:
   its words sit in its fields' data attributes and templates) has none, and uses `fill`.
   Templates hold `{name}` placeholders, like the server's str.format templates.

   Nothing here throws. These texts are read by a steward at the door and by an organiser mid-event,
   and a throw would leave the screen half drawn (a verdict without its title) or stop a refresh
   loop. A missing key shows the key itself, and a missing parameter (absent, undefined or null)
   keeps its `{placeholder}`: both are visible, so the fault is seen and reported, and both can be
   searched for in the code; an empty string instead would make a sentence that reads as whole but
   says less ("Admit " for "Admit {name}"). Each fault is also logged once as a console warning. */

const holder = document.querySelector("[data-texts]");
const texts = holder ? JSON.parse(holder.dataset.texts) : {};
const warned = new Set();

/* The page's language, as the server chose it (`<html lang>`). */
export const lang = document.documentElement.lang;

function warn(fault) {
  if (!warned.has(fault)) {
    warned.add(fault);
    console.warn(`kapi texts: ${fault}`);
  }
}

/* `template` with each `{name}` replaced by `params[name]`; a missing one stays `{name}`. */
export function fill(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (placeholder, name) => {
    const value = params[name];
    if (value === undefined || value === null) {
      warn(`no value for ${placeholder} in "${template}"`);
      return placeholder;
    }
    return String(value);
  });
}

/* The text `key` in the page's language with its placeholders filled; the key itself if the page has
   no such text. */
export function t(key, params = {}) {
  const template = texts[key];
  if (template === undefined) {
    warn(`missing text ${key}`);
    return key;
  }
  return fill(template, params);
}

/* A `{tr, az, en}` map (an event's name, a ticket type's) in the page's language, else English,
   Turkish, Azerbaijani, else any language it has, as the server picks; "" for none. */
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
