/* The registrations table: search (the API folds Turkish and Azerbaijani letters), status and ticket
   type filters, "more" by the API's cursor, and the organiser's moves. A move asks first (a <dialog>),
   then replaces its row with the registration the API answers, so the table never reloads under the
   organiser's eyes and focus stays on the row. The dialog opens on "No" and, after a move, focus rests
   on the person's name: Enter pressed again and again never chains one move into another. */
import {localized, t} from "../shared/texts.js";
import {api, explain, get, post} from "./session.js";
import {el, eventTime} from "./draw.js";

const STATUSES = ["confirmed", "pending_approval", "waitlisted", "cancelled", "rejected"];
const PAGE = 50;
// Which moves a status allows (as the API's own rules); resend and reissue need an email to go to.
const ACTIONS = {
  approve: ["pending_approval"],
  reject: ["pending_approval", "waitlisted"],
  cancel: ["confirmed", "pending_approval", "waitlisted"],
  resend: STATUSES,
  reissue: ["confirmed"],
};

export class RegistrationsTable {
  constructor({onChange}) {
    this.onChange = onChange;
    this.form = document.getElementById("filters");
    this.body = document.querySelector("#registrations tbody");
    this.more = document.getElementById("more");
    this.status = document.getElementById("table-status");
    this.confirmDialog = document.getElementById("confirm");
    this.detailDialog = document.getElementById("detail");
    this.cursor = null;
    this.form.addEventListener("submit", (submit) => {
      submit.preventDefault();
      this.load();
    });
    let typing = null;
    this.form.q.addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(() => this.load(), 300);
    });
    this.form.status.addEventListener("change", () => this.load());
    this.form.ticket_type.addEventListener("change", () => this.load());
    this.more.addEventListener("click", () => this.load(this.cursor));
    this.form.querySelector("[data-action=export]").addEventListener("click", () => this.export());
  }

  open(event) {
    this.event = event;
    this.form.reset();
    this.form.status.replaceChildren(el("option", {value: ""}, t("dashboard.filter.all")),
      ...STATUSES.map((status) => el("option", {value: status}, t(`dashboard.status.${status}`))));
    this.form.ticket_type.replaceChildren(el("option", {value: ""}, t("dashboard.filter.all")),
      ...event.ticket_types.map((type) => el("option", {value: type.id}, localized(type.name))));
    this.load();
  }

  base() {
    return `/api/events/${encodeURIComponent(this.event.id)}/registrations`;
  }

  async load(cursor = null) {
    const params = new URLSearchParams({limit: String(PAGE)});
    for (const name of ["q", "status", "ticket_type"]) {
      if (this.form[name].value.trim()) {
        params.set(name, this.form[name].value.trim());
      }
    }
    if (cursor) {
      params.set("cursor", cursor);
    }
    this.status.textContent = t("dashboard.table.loading");
    try {
      const page = await get(`${this.base()}?${params}`);
      const rows = page.items.map((registration) => this.row(registration));
      if (cursor) {
        this.body.append(...rows);
      } else {
        this.body.replaceChildren(...rows);
      }
      this.cursor = page.next_cursor;
      this.more.hidden = !page.next_cursor;
      this.status.textContent = t("dashboard.table.shown", {count: this.body.rows.length});
    } catch (error) {
      this.status.textContent = explain(error);
    }
  }

  typeName(id) {
    const type = this.event.ticket_types.find((candidate) => candidate.id === id);
    return type ? localized(type.name) : id;
  }

  row(registration) {
    const id = registration.id;
    const actions = Object.keys(ACTIONS).filter((action) => ACTIONS[action].includes(registration.status)
                                                      && !registration.erased)
      .map((action) => el("button", {type: "button", class: `small-button action-${action}`,
                                      dataset: {action},
                                      "aria-label": t(`dashboard.action.${action}_label`, {name: registration.name}),
                                      on: {click: () => this.act(id, action, registration)}}, t(`dashboard.action.${action}`)));
    return el("tr", {dataset: {registrationId: id, status: registration.status}},
      el("td", {}, el("button", {type: "button", class: "link-button", dataset: {detail: id},
                                 on: {click: () => this.detail(id)}}, registration.name)),
      el("td", {class: "email"}, ...breakable(registration.email)),
      el("td", {}, this.typeName(registration.ticket_type)),
      el("td", {}, el("span", {class: `status status-${registration.status}`}, t(`dashboard.status.${registration.status}`))),
      el("td", {}, t(`dashboard.email_status.${registration.email_status || "none"}`)),
      el("td", {class: "row-actions"}, ...actions));
  }

  /* Ask, then move; the row is replaced by the API's answer and focus returns to it. */
  async act(id, action, registration) {
    const choice = document.getElementById("reissue-type");
    const select = document.getElementById("reissue-select");
    choice.hidden = action !== "reissue";
    if (action === "reissue") {
      select.replaceChildren(...this.event.ticket_types.map((type) =>
        el("option", {value: type.id, selected: type.id === registration.ticket_type}, localized(type.name))));
    }
    document.getElementById("confirm-text").textContent = t(`dashboard.confirm.${action}`, {name: registration.name});
    const answer = await this.ask();
    const row = this.body.querySelector(`tr[data-registration-id="${CSS.escape(id)}"]`);
    if (answer !== "yes") {
      row.querySelector(`[data-action=${action}]`).focus();
      return;
    }
    this.status.textContent = t("dashboard.table.working");
    try {
      const body = action === "reissue" ? {ticket_type: select.value} : {};
      const updated = await post(`${this.base()}/${encodeURIComponent(id)}/${action}`, body);
      const fresh = this.row(updated);
      row.replaceWith(fresh);
      this.status.textContent = t(`dashboard.done.${action}`, {name: updated.name});
      // Focus rests on the person's name, never on a button that undoes what was just done: an
      // organiser pressing Enter again opens the detail, not a cancellation.
      fresh.querySelector("[data-detail]").focus();
      this.onChange();
    } catch (error) {
      this.status.textContent = explain(error);
      row.querySelector(`[data-action=${action}]`).focus();
    }
  }

  ask() {
    return new Promise((resolve) => {
      this.confirmDialog.returnValue = "";
      this.confirmDialog.addEventListener("close", () => resolve(this.confirmDialog.returnValue), {once: true});
      this.confirmDialog.showModal();
      // The safe choice first: Enter pressed once too often goes back instead of acting.
      this.confirmDialog.querySelector("button[value=no]").focus();
    });
  }

  async detail(id) {
    const heading = document.getElementById("detail-heading");
    const body = document.getElementById("detail-body");
    try {
      const [registration, lists] = await Promise.all([
        get(`${this.base()}/${encodeURIComponent(id)}`),
        get(`/api/events/${encodeURIComponent(this.event.id)}/checkin-lists`)]);
      heading.textContent = registration.name;
      body.replaceChildren(this.details(registration, lists.items));
    } catch (error) {
      heading.textContent = t("dashboard.detail.heading");
      body.replaceChildren(el("p", {class: "error"}, explain(error)));
    }
    this.detailDialog.showModal();
  }

  details(registration, lists) {
    const when = (iso) => (iso ? eventTime(iso, this.event.timezone) : "—");
    const pairs = [
      [t("dashboard.col.status"), t(`dashboard.status.${registration.status}`)],
      [t("dashboard.col.email"), registration.email],
      [t("dashboard.col.ticket_type"), this.typeName(registration.ticket_type)],
      [t("dashboard.detail.language"), registration.language],
      [t("dashboard.detail.created_at"), when(registration.created_at)],
      [t("dashboard.col.email_status"), [t(`dashboard.email_status.${registration.email_status || "none"}`),
        registration.email_attempts ? t("dashboard.detail.attempts", {count: registration.email_attempts}) : "",
        registration.email_error || ""].filter(Boolean).join(" · ")],
    ];
    const answers = Object.entries(registration.answers || {});
    const door = Object.entries(registration.checkins || {});
    const listName = (listId) => (lists.find((list) => list.id === listId) || {name: listId}).name;
    return el("div", {},
      el("dl", {class: "pairs"}, ...pairs.map(([label, value]) => el("div", {}, el("dt", {}, label), el("dd", {}, value)))),
      el("h4", {}, t("dashboard.detail.answers")),
      answers.length ? el("dl", {class: "pairs"}, ...answers.map(([name, value]) => el("div", {},
        el("dt", {}, name), el("dd", {}, Array.isArray(value) ? value.join(", ") : String(value)))))
        : el("p", {}, t("dashboard.detail.no_answers")),
      el("h4", {}, t("dashboard.detail.door")),
      door.length ? el("table", {class: "numbers"},
        el("thead", {}, el("tr", {}, ...["dashboard.detail.list", "dashboard.detail.entries", "dashboard.detail.exits",
                                         "dashboard.detail.first_entry", "dashboard.detail.last_scan", "dashboard.live.inside"]
          .map((key) => el("th", {scope: "col"}, t(key))))),
        el("tbody", {}, ...door.map(([listId, state]) => el("tr", {},
          el("th", {scope: "row"}, listName(listId)), el("td", {}, String(state.entries || 0)),
          el("td", {}, String(state.exits || 0)), el("td", {}, when(state.first_at)),
          el("td", {}, when(state.last_scanned_at)),
          el("td", {}, t(state.inside ? "dashboard.detail.yes" : "dashboard.detail.no"))))))
        : el("p", {}, t("dashboard.detail.no_door")));
  }

  /* The CSV needs the token, so it is fetched and handed to the browser as a file, not linked. */
  async export() {
    this.status.textContent = t("dashboard.table.exporting");
    try {
      const response = await api(`${this.base()}.csv`, {raw: true, headers: {Accept: "text/csv"}});
      const blob = await response.blob();
      const name = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") || "");
      const url = URL.createObjectURL(blob);
      const link = el("a", {href: url, download: name ? name[1] : `${this.event.id}.csv`, hidden: true});
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      this.status.textContent = t("dashboard.table.exported");
    } catch (error) {
      this.status.textContent = explain(error);
    }
  }
}

/* An address wraps after its "@" when the column is narrow, not inside "example.org". */
function breakable(email) {
  const at = (email || "").lastIndexOf("@");
  return at < 0 ? [email] : [email.slice(0, at + 1), el("wbr"), email.slice(at + 1)];
}
