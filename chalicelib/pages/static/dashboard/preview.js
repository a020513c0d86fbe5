/* The registration form's preview, drawn by the server's own form renderer (POST /api/forms/preview,
   the code `/e/{id}` uses), so what the organiser sees is what attendees get. It is a picture of the
   form: inert, so Tab does not wander through it while the organiser edits. */
import {lang, t} from "../shared/texts.js";
import {api, explain} from "./session.js";
import {el} from "./draw.js";

let latest = 0;

export async function showPreview(container, event) {
  const ticket = ++latest;
  try {
    const response = await api("/api/forms/preview", {method: "POST", raw: true, headers: {Accept: "text/html"},
      body: {form: event.form, language: lang, timezone: event.timezone}});
    const html = await response.text();
    if (ticket === latest) {
      const parsed = new DOMParser().parseFromString(html, "text/html");
      container.replaceChildren(...parsed.body.childNodes);
      container.dataset.state = "ok";
    }
  } catch (error) {
    if (ticket === latest) {
      container.replaceChildren(el("p", {class: "error"}, t("dashboard.editor.preview_failed"), " ", explain(error)));
      container.dataset.state = "error";
    }
  }
}
