/* Door staff: a scanner token for this event, signed in by a QR code (and a link) that `/scan` reads,
   so a steward is set up by pointing a phone at this screen. The QR carries no token (SPEC §16): the
   API makes the token with a single-use sign-in code valid 10 minutes (`sign_in_code: true`) and this
   page never sees the token itself; `/scan` trades the code for it (`POST /api/door/sign-in`). The code
   travels in the URL's fragment, which browsers never send to a server or put in a Referer, and the
   QR is drawn here, from the vendored qrcode-generator, so the code goes nowhere else either. */
import {BASE} from "../shared/api.js";
import {t} from "../shared/texts.js";
import {api, explain, get, post} from "./session.js";
import {el, eventTime} from "./draw.js";
import {ItemsPanel} from "./panel.js";
import {qrcode} from "../vendor/qrcode-generator/qrcode.mjs";

const SVG = "http://www.w3.org/2000/svg";

/* The address `/scan` signs in from (`<site>/scan#code=<code>`, as the scanner page reads it). */
export function signInUrl(code) {
  return `${location.origin}${BASE}/scan#code=${encodeURIComponent(code)}`;
}

/* A QR code as SVG squares (4-module quiet zone), crisp at any size. */
export function qrSvg(text, label) {
  const code = qrcode(0, "M");
  code.addData(text);
  code.make();
  const count = code.getModuleCount();
  const size = count + 8;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("shape-rendering", "crispEdges");
  const background = document.createElementNS(SVG, "rect");
  Object.entries({width: size, height: size, fill: "#ffffff"}).forEach(([name, value]) => background.setAttribute(name, value));
  svg.append(background);
  let path = "";
  for (let row = 0; row < count; row += 1) {
    for (let col = 0; col < count; col += 1) {
      if (code.isDark(row, col)) {
        path += `M${col + 4} ${row + 4}h1v1h-1z`;
      }
    }
  }
  const modules = document.createElementNS(SVG, "path");
  modules.setAttribute("d", path);
  modules.setAttribute("fill", "#000000");
  svg.append(modules);
  return svg;
}

export class DoorPanel extends ItemsPanel {
  constructor() {
    super({form: "door-form", list: "door-tokens", error: "door-error"});
  }

  open(event) {
    super.open(event);
    document.getElementById("door-new").hidden = true;
    document.getElementById("door-qr").replaceChildren();
    this.load();
    this.warnWithoutList();
  }

  /* A scanner signed in for an event without a check-in list can check no ticket: say so here, with
     the way to the tab that makes one, when the tab opens and again after a token is made. */
  async warnWithoutList() {
    const warning = document.getElementById("door-no-list");
    let none = false;
    try {
      none = (await get(`/api/events/${encodeURIComponent(this.event.id)}/checkin-lists`)).items.length === 0;
    } catch {
      none = false;  // the list of tokens says what went wrong
    }
    warning.replaceChildren(...(none ? [t("dashboard.door.no_list"), " ",
      el("button", {type: "button", class: "link-button", dataset: {goto: "lists"},
                    on: {click: () => document.querySelector("[data-tab=lists]").click()}},
         t("dashboard.door.no_list_action"))] : []));
  }

  load() {
    return this.show(`/api/tokens?event=${encodeURIComponent(this.event.id)}`, (token) => this.line(token),
                     t("dashboard.door.none"));
  }

  line(token) {
    const label = token.label || t("dashboard.door.unnamed");
    const when = eventTime(token.created_at, this.event.timezone);
    return el("li", {dataset: {tokenId: token.id}},
      el("span", {}, `${label} · ${when}`), " ",
      token.revoked ? el("span", {class: "status status-cancelled"}, t("dashboard.door.revoked"))
        : el("button", {type: "button", class: "small-button", dataset: {action: "revoke"},
                        "aria-label": t("dashboard.door.revoke_label", {label}), on: {click: () => this.revoke(token)}},
                     t("dashboard.door.revoke")));
  }

  async create() {
    this.error.textContent = "";
    try {
      const label = this.form.elements.label.value.trim();
      const created = await post("/api/tokens", {role: "scanner", events: [this.event.id], sign_in_code: true,
                                                 ...(label ? {label} : {})});
      const url = signInUrl(created.sign_in.code);
      document.getElementById("door-code-expires").textContent = t("dashboard.door.code_expires", {
        time: eventTime(created.sign_in.expires_at, this.event.timezone, {timeStyle: "short"})});
      document.getElementById("door-qr").replaceChildren(qrSvg(url, t("dashboard.door.qr_label")));
      const link = document.getElementById("door-link");
      link.href = url;
      document.getElementById("door-new").hidden = false;
      link.focus();
      this.form.reset();
      await Promise.all([this.load(), this.warnWithoutList()]);
    } catch (error) {
      this.error.textContent = explain(error);
    }
  }

  async revoke(token) {
    this.error.textContent = "";
    try {
      await api(`/api/tokens/${encodeURIComponent(token.id)}`, {method: "DELETE"});
      await this.load();
      const again = this.list.querySelector(`[data-token-id="${CSS.escape(token.id)}"]`);
      if (again) {
        again.setAttribute("tabindex", "-1");
        again.focus();
      }
    } catch (error) {
      this.error.textContent = explain(error);
    }
  }
}
