/* Creating and editing an event. The form mirrors the event resource (SPEC §4): texts in tr/az/en,
   times as clocks in the event's own zone, ticket types with capacities, the registration form as JSON
   Schema with a live preview. An edit sends `If-Match` with the version the organiser loaded, so when
   someone else saved in between the API answers 412 and the organiser is told, not overwritten. */
import {t} from "../shared/texts.js";
import {api, explain, get, post} from "./session.js";
import {el} from "./draw.js";
import {showPreview} from "./preview.js";
import {fromLocalInput, toLocalInput, validZone} from "./times.js";

const LANGS = ["tr", "az", "en"];
const STATUSES = ["draft", "published", "closed", "cancelled"];
const TIMES = {starts_at: "ev-starts", ends_at: "ev-ends", registration_opens_at: "ev-opens",
               registration_closes_at: "ev-closes"};
const EMPTY_FORM = {type: "object", properties: {}, additionalProperties: false};

export class EventEditor {
  constructor({onSaved}) {
    this.onSaved = onSaved;
    this.form = document.getElementById("event-form");
    this.types = document.getElementById("ticket-types");
    this.error = document.getElementById("editor-error");
    this.statusLine = document.getElementById("editor-status");
    this.schema = document.getElementById("ev-form");
    this.schemaError = document.getElementById("ev-form-error");
    this.form.elements.status.replaceChildren(...STATUSES.map((status) =>
      el("option", {value: status}, t(`dashboard.event_status.${status}`))));
    document.getElementById("add-ticket-type").addEventListener("click", () => {
      this.addType({id: "", name: {}});
      this.types.lastElementChild.querySelector("input").focus();
    });
    this.form.addEventListener("submit", (submit) => {
      submit.preventDefault();
      this.save();
    });
    let typing = null;
    const later = () => {
      clearTimeout(typing);
      typing = setTimeout(() => this.preview(), 400);
    };
    this.schema.addEventListener("input", later);
    this.types.addEventListener("input", later);
    this.form.addEventListener("change", later);
  }

  /* Fill the form from `event`, or empty for a new one. */
  open(event) {
    this.event = event;
    this.form.reset();
    this.clearErrors();
    this.statusLine.textContent = "";
    const value = event || {timezone: "Europe/Istanbul", status: "draft", retention_days: 180,
                            ticket_types: [{id: "general", name: {tr: "Genel", az: "Ümumi", en: "General"}}],
                            form: EMPTY_FORM, name: {}, description: {}};
    const fields = this.form.elements;
    fields.id.value = value.id || "";
    fields.id.readOnly = Boolean(event);
    fields.status.value = value.status;
    for (const lang of LANGS) {
      fields[`name.${lang}`].value = (value.name || {})[lang] || "";
      fields[`description.${lang}`].value = (value.description || {})[lang] || "";
    }
    fields.venue.value = value.venue || "";
    fields.timezone.value = value.timezone;
    for (const [name, id] of Object.entries(TIMES)) {
      document.getElementById(id).value = toLocalInput(value[name], value.timezone);
    }
    fields.capacity.value = value.capacity ?? "";
    fields.waitlist.checked = Boolean(value.waitlist);
    fields.requires_approval.checked = Boolean(value.requires_approval);
    fields.retention_days.value = value.retention_days ?? 180;
    this.types.replaceChildren();
    value.ticket_types.forEach((type) => this.addType(type));
    this.schema.value = JSON.stringify(value.form || EMPTY_FORM, null, 2);
    document.getElementById("editor-heading").textContent = t(event ? "dashboard.editor.edit" : "dashboard.editor.create");
    this.preview();
  }

  addType(type) {
    const index = this.types.rows.length + 1;
    const input = (name, value, label, extra = {}) => el("td", {}, el("input", {
      name, value: value ?? "", "aria-label": t(label, {number: index}), ...extra}));
    const row = el("tr", {},
      input("tt.id", type.id, "dashboard.editor.tt_id_label", {pattern: "[a-z0-9][a-z0-9-]{0,62}", size: 10}),
      ...LANGS.map((lang) => input(`tt.name.${lang}`, (type.name || {})[lang], `dashboard.editor.tt_name_${lang}_label`,
                                   {lang})),
      input("tt.capacity", type.capacity, "dashboard.editor.tt_capacity_label", {type: "number", min: 0, inputmode: "numeric"}),
      el("td", {}, el("button", {type: "button", class: "small-button",
        "aria-label": t("dashboard.editor.tt_remove_label", {number: index}),
        on: {click: () => {
          row.remove();
          this.preview();
        }}}, t("dashboard.editor.tt_remove"))));
    this.types.append(row);
  }

  texts(prefix) {
    const map = {};
    for (const lang of LANGS) {
      const value = this.form.elements[`${prefix}.${lang}`].value.trim();
      if (value) {
        map[lang] = value;
      }
    }
    return map;
  }

  ticketTypes() {
    return [...this.types.rows].map((row) => {
      const value = (name) => row.querySelector(`[name="${name}"]`).value.trim();
      const name = {};
      for (const lang of LANGS) {
        if (value(`tt.name.${lang}`)) {
          name[lang] = value(`tt.name.${lang}`);
        }
      }
      const capacity = value("tt.capacity");
      return {id: value("tt.id"), name, ...(capacity === "" ? {} : {capacity: Number(capacity)})};
    });
  }

  /* The form's JSON Schema, or null with the reason shown under the field. */
  formSchema() {
    try {
      const schema = JSON.parse(this.schema.value);
      this.schemaError.textContent = "";
      this.schema.removeAttribute("aria-invalid");
      return schema;
    } catch (error) {
      this.schemaError.textContent = t("dashboard.editor.form_not_json", {error: error.message});
      this.schema.setAttribute("aria-invalid", "true");
      return null;
    }
  }

  /* The event as the API takes it. */
  document() {
    const fields = this.form.elements;
    const zone = fields.timezone.value.trim();
    const doc = {id: fields.id.value.trim(), status: fields.status.value, name: this.texts("name"),
                 venue: fields.venue.value.trim(), timezone: zone, waitlist: fields.waitlist.checked,
                 requires_approval: fields.requires_approval.checked, ticket_types: this.ticketTypes(),
                 retention_days: Number(fields.retention_days.value || 180),
                 capacity: fields.capacity.value === "" ? null : Number(fields.capacity.value)};
    const description = this.texts("description");
    doc.description = Object.keys(description).length ? description : null;
    for (const [name, id] of Object.entries(TIMES)) {
      doc[name] = validZone(zone) ? fromLocalInput(document.getElementById(id).value, zone) : null;
    }
    doc.form = this.formSchema();
    return doc;
  }

  preview() {
    const schema = this.formSchema();
    if (schema) {
      showPreview(document.getElementById("preview"), {...this.document(), form: schema});
    }
  }

  clearErrors() {
    this.error.replaceChildren();
    for (const field of this.form.querySelectorAll("[aria-invalid]")) {
      field.removeAttribute("aria-invalid");
    }
  }

  async save() {
    this.clearErrors();
    const doc = this.document();
    if (!doc.form) {
      this.schema.focus();
      return;
    }
    if (!validZone(doc.timezone)) {
      this.fail(t("dashboard.editor.bad_zone"), ["timezone"]);
      return;
    }
    this.statusLine.textContent = t("dashboard.editor.saving");
    try {
      let saved;
      if (this.event) {
        const {id, ...changes} = doc;
        const headers = this.event.version === undefined ? {} : {"If-Match": String(this.event.version)};
        saved = await api(`/api/events/${encodeURIComponent(this.event.id)}`, {method: "PATCH", body: changes, headers});
      } else {
        saved = await post("/api/events", doc);
      }
      this.event = saved;
      this.onSaved(saved);
      this.statusLine.textContent = t("dashboard.editor.saved");
    } catch (error) {
      this.statusLine.textContent = "";
      if (error.status === 412) {
        this.stale();
      } else {
        this.fail(explain(error), error.details ? error.details.map((detail) => detail.field) : []);
      }
    }
  }

  fail(message, fields) {
    this.error.replaceChildren(message);
    for (const path of fields) {
      const name = String(path).split(/[.[]/)[0];
      const field = this.form.elements[name] || document.getElementById(TIMES[name] || "");
      if (field && field.setAttribute) {
        field.setAttribute("aria-invalid", "true");
      }
    }
    this.error.focus();
  }

  /* 412: someone saved this event after it was loaded here. Say so, and offer their version. */
  stale() {
    const reload = el("button", {type: "button", class: "button button-secondary", on: {click: async () => {
      try {
        this.open(await get(`/api/events/${encodeURIComponent(this.event.id)}`));
        this.statusLine.textContent = t("dashboard.editor.reloaded");
        this.form.elements.status.focus();
      } catch (error) {
        this.fail(explain(error), []);
      }
    }}}, t("dashboard.editor.reload"));
    this.error.replaceChildren(
      el("span", {dataset: {error: "precondition_failed"}}, t("dashboard.error.precondition_failed")), " ", reload);
    this.error.focus();
  }
}
