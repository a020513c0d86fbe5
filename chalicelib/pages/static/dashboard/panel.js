/* What the check-in lists and door staff tabs share: a form that creates something, the event's
   items of that kind as a list (or a line saying there are none), and an error line for both. */
import {explain, get} from "./session.js";
import {el} from "./draw.js";

export class ItemsPanel {
  constructor({form, list, error}) {
    this.form = document.getElementById(form);
    this.list = document.getElementById(list);
    this.error = document.getElementById(error);
    this.form.addEventListener("submit", (submit) => {
      submit.preventDefault();
      this.create();
    });
  }

  open(event) {
    this.event = event;
    this.form.reset();
    this.error.textContent = "";
  }

  /* Show the items at `path` (an API list answer), one `line(item)` each, or `none` when empty. */
  async show(path, line, none) {
    try {
      const items = (await get(path)).items;
      this.list.replaceChildren(...items.map(line));
      if (items.length === 0) {
        this.list.append(el("li", {}, none));
      }
    } catch (error) {
      this.error.textContent = explain(error);
    }
  }
}
