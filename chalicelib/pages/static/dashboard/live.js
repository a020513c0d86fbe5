/* An event's live figures: one request a refresh (GET .../attendance, whose cost on the server does not
   grow with the attendee count), every few seconds while the tab is visible and this view is open.
   "Last updated" names the time of the last answer; when answers stop coming (bad Wi-Fi at the venue)
   a warning says since when the figures are old, so nobody trusts a frozen number. */
import {lang, localized, t} from "../shared/texts.js";
import {explain, get} from "./session.js";
import {drawArrivals} from "./chart.js";
import {el, number} from "./draw.js";

export const REFRESH_SECONDS = 5;
const STALE_AFTER_SECONDS = 3 * REFRESH_SECONDS;
const TOTALS = ["confirmed", "pending_approval", "waitlisted", "cancelled", "rejected"];
const clockTime = new Intl.DateTimeFormat(lang, {timeStyle: "medium"});

export class LiveView {
  constructor() {
    this.event = null;
    this.timer = null;
    this.lastSuccess = null;
    this.lastError = null;
    this.updated = document.getElementById("last-updated");
    this.stale = document.getElementById("stale");
    document.getElementById("refresh").addEventListener("click", () => this.refresh());
    document.addEventListener("visibilitychange", () => this.schedule(0));
    setInterval(() => this.showFreshness(), 1000);
  }

  open(event) {
    this.event = event;
    this.lastSuccess = null;
    this.lastError = null;
    document.getElementById("totals").replaceChildren();
    document.getElementById("lists-live").replaceChildren();
    this.schedule(0);
  }

  close() {
    this.event = null;
    clearTimeout(this.timer);
  }

  /* The next refresh in `seconds`; none while the tab is hidden (the visibility change restarts it). */
  schedule(seconds) {
    clearTimeout(this.timer);
    if (this.event && document.visibilityState === "visible") {
      this.timer = setTimeout(() => this.refresh(), seconds * 1000);
    }
  }

  async refresh() {
    const event = this.event;
    if (!event) {
      return;
    }
    clearTimeout(this.timer);
    try {
      const report = await get(`/api/events/${encodeURIComponent(event.id)}/attendance`);
      if (event === this.event) {
        this.draw(report);
        this.lastSuccess = new Date();
        this.lastError = null;
      }
    } catch (error) {
      this.lastError = explain(error);
    }
    this.showFreshness();
    this.schedule(REFRESH_SECONDS);
  }

  showFreshness() {
    if (!this.event) {
      return;
    }
    this.updated.textContent = this.lastSuccess
      ? t("dashboard.live.updated", {time: clockTime.format(this.lastSuccess)}) : t("dashboard.live.loading");
    const age = this.lastSuccess ? (Date.now() - this.lastSuccess) / 1000 : 0;
    const stale = this.lastError !== null || age > STALE_AFTER_SECONDS;
    this.stale.hidden = !stale;
    if (stale) {
      const since = this.lastSuccess ? t("dashboard.live.stale_since", {time: clockTime.format(this.lastSuccess)}) : "";
      const text = [t("dashboard.live.stale"), since, this.lastError || ""].filter(Boolean).join(" ");
      if (this.stale.textContent !== text) {
        this.stale.textContent = text;
      }
    }
  }

  draw(report) {
    const registered = report.registrations;
    const totals = TOTALS.map((status) => [t(`dashboard.status.${status}`), registered[status], status]);
    totals.push([t("dashboard.live.no_show"), report.no_show, "no_show"]);
    totals.push([t("dashboard.live.offline_conflicts"), report.offline_conflicts ?? 0, "offline_conflicts"]);
    document.getElementById("totals").replaceChildren(...totals.map(([label, value, name]) =>
      el("div", {dataset: {total: name}}, el("dt", {}, label), el("dd", {}, number(value)))));
    document.getElementById("lists-live").replaceChildren(...report.lists.map((list) => this.listCard(list)));
    if (report.lists.length === 0) {
      document.getElementById("lists-live").append(el("p", {}, t("dashboard.live.no_lists")));
    }
    drawArrivals(document.getElementById("arrivals-chart"), document.getElementById("arrivals-table"),
                 report.arrivals, this.event.timezone);
  }

  listCard(list) {
    const typeName = (id) => localized((this.event.ticket_types.find((type) => type.id === id) || {name: {en: id}}).name);
    const headingId = `list-${list.id}`;
    const rows = Object.entries(list.by_ticket_type).map(([type, figures]) => el("tr", {},
      el("th", {scope: "row"}, typeName(type)),
      el("td", {}, number(figures.checkin_count)), el("td", {}, number(figures.position_count)),
      el("td", {}, number(figures.inside_count))));
    return el("section", {class: "list-card", "aria-labelledby": headingId, dataset: {listId: list.id}},
      el("h4", {id: headingId}, list.name),
      el("p", {class: "big-numbers"},
        el("span", {class: "figure"}, el("span", {class: "figure-label"}, t("dashboard.live.checked_in")),
           el("span", {class: "figure-value"}, el("span", {dataset: {count: "checkin"}}, number(list.checkin_count)),
              el("span", {class: "of"}, ` / ${number(list.position_count)}`))),
        el("span", {class: "figure"}, el("span", {class: "figure-label"}, t("dashboard.live.inside")),
           el("span", {class: "figure-value", dataset: {count: "inside"}}, number(list.inside_count)))),
      el("table", {class: "numbers"},
        el("caption", {class: "visually-hidden"}, t("dashboard.live.by_type_caption", {list: list.name})),
        el("thead", {}, el("tr", {}, el("th", {scope: "col"}, t("dashboard.live.ticket_type")),
          el("th", {scope: "col"}, t("dashboard.live.checked_in")), el("th", {scope: "col"}, t("dashboard.live.total")),
          el("th", {scope: "col"}, t("dashboard.live.inside")))),
        el("tbody", {}, ...rows)));
  }
}
