/* Check-in lists: the event's lists and a form to add one (name, admitted ticket types, entry rules,
   validity window as clocks in the event's zone). */
import {localized, t} from "../shared/texts.js";
import {explain, post} from "./session.js";
import {el, eventTime} from "./draw.js";
import {ItemsPanel} from "./panel.js";
import {fromLocalInput} from "./times.js";

export class ListsPanel extends ItemsPanel {
  constructor({onChange}) {
    super({form: "list-form", list: "checkin-lists", error: "list-error"});
    this.onChange = onChange;
  }

  open(event) {
    super.open(event);
    const legend = this.form.querySelector("#list-types legend");
    document.getElementById("list-types").replaceChildren(legend, ...event.ticket_types.map((type) =>
      el("div", {class: "check"}, el("input", {type: "checkbox", id: `list-type-${type.id}`, name: "ticket_types", value: type.id}),
         el("label", {for: `list-type-${type.id}`}, localized(type.name)))));
    this.load();
  }

  base() {
    return `/api/events/${encodeURIComponent(this.event.id)}/checkin-lists`;
  }

  load() {
    return this.show(this.base(), (list) => this.line(list), t("dashboard.lists.none"));
  }

  line(list) {
    const types = list.ticket_types.length
      ? list.ticket_types.map((id) => localized((this.event.ticket_types.find((type) => type.id === id) || {name: {en: id}}).name)).join(", ")
      : t("dashboard.lists.all_types");
    const window = [list.valid_from, list.valid_until].some(Boolean)
      ? ` · ${list.valid_from ? eventTime(list.valid_from, this.event.timezone) : "…"} – ${list.valid_until ? eventTime(list.valid_until, this.event.timezone) : "…"}` : "";
    return el("li", {dataset: {checkinList: list.id}}, el("strong", {}, list.name), ` · ${types}${window}`);
  }

  async create() {
    const fields = this.form.elements;
    const zone = this.event.timezone;
    const body = {name: fields.name.value.trim(),
                  ticket_types: [...this.form.querySelectorAll("[name=ticket_types]:checked")].map((box) => box.value),
                  allow_multiple_entries: fields.allow_multiple_entries.checked,
                  allow_entry_after_exit: fields.allow_entry_after_exit.checked};
    for (const name of ["valid_from", "valid_until"]) {
      if (fields[name].value) {
        body[name] = fromLocalInput(fields[name].value, zone);
      }
    }
    this.error.textContent = "";
    try {
      await post(this.base(), body);
      this.form.reset();
      await this.load();
      this.onChange();
    } catch (error) {
      this.error.textContent = explain(error);
      fields.name.focus();
    }
  }
}
