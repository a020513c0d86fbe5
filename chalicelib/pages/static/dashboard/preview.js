/* The registration form's preview, drawn by the server's own form renderer (POST /api/forms/preview,
   the code `/e/{id}` uses), so what the organiser sees is what attendees get. It is a picture of the
   form: inert, so Tab does not wander through it while the organiser edits. */
import {call, explain} from "./api.js";
import {el, lang, t} from "./i18n.js";

let latest = 0;

export async function showPreview(container, event) {
  const ticket = ++latest;
  try {
    const response = await call("POST", "/api/forms/preview", {raw: true,
      body: {form: event.form, language: lang, timezone: event.timezone}});
    const html = await response.text();
    if (ticket === latest) {
      const parsed = new DOMParser().parseFromString(html, "text/html");
      container.replaceChildren(...parsed.body.childNodes);
      container.dataset.state = "ok";
    }
  } catch (error) {
    if (ticket === latest) {
      container.replaceChildren(el("p", {class: "error"}, t("editor.preview_failed"), " ", explain(error)));
      container.dataset.state = "error";
    }
  }
}
