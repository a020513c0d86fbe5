// The page's texts, rendered by the server into the shell in the steward's language (works offline).
const root = document.getElementById('scanner');
const texts = JSON.parse(root.dataset.texts);

export const lang = document.documentElement.lang;

/** A text by key with `{name}` placeholders filled, like the server's str.format templates. */
export function t(key, params = {}) {
  const template = texts[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

/** A `{tr, az, en}` map in the page's language, then English, Turkish, Azerbaijani, then any. */
export function localized(map) {
  if (!map) return '';
  for (const code of [lang, 'en', 'tr', 'az']) if (map[code]) return map[code];
  return Object.values(map)[0] ?? '';
}
