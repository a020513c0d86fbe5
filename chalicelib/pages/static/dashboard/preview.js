/* The registration form's preview, drawn by the server's own form renderer (the one `/e/{id}` uses),
   so what the organiser sees is what attendees get. */
import {explain, post} from "./api.js";
import {el, lang, t} from "./i18n.js";

let latest = 0;

export async function showPreview(container, event) {
  const ticket = ++latest;
  try {
    const answer = await post("/api/forms/preview", {event, language: lang});
    if (ticket === latest) {
      const parsed = new DOMParser().parseFromString(answer.html, "text/html");
      container.replaceChildren(...parsed.body.childNodes);
    }
  } catch (error) {
    if (ticket === latest) {
      container.replaceChildren(el("p", {class: "error"}, t("editor.preview_failed"), " ", explain(error)));
    }
  }
}
