/* The dashboard's entry: sign-in with an organiser or admin token (kept in this browser only), the
   events that token may see, and one event's tabs (live figures, registrations, editor, check-in lists,
   door staff). The open event and tab live in the URL's fragment, so a reload or a shared laptop's
   bookmark comes back to the same view. */
import {localized, t} from "../shared/texts.js";
import {ApiError, explain, get, session} from "./session.js";
import {DoorPanel} from "./door.js";
import {EventEditor} from "./editor.js";
import {el, eventTime} from "./draw.js";
import {ListsPanel} from "./lists.js";
import {LiveView} from "./live.js";
import {RegistrationsTable} from "./table.js";

const $ = (id) => document.getElementById(id);
const TABS = ["live", "registrations", "editor", "lists", "door"];

const live = new LiveView();
const table = new RegistrationsTable({onChange: () => live.refresh()});
const lists = new ListsPanel({onChange: () => live.refresh()});
const door = new DoorPanel();
const editor = new EventEditor({onSaved: (event) => showEvent(event, "editor")});
let current = null;

function message(text) {
  $("message").textContent = text;
  if (text) {
    $("message").focus();
  }
}

function show(section) {
  $("signin").hidden = section !== "signin";
  $("session").hidden = section === "signin";
  $("events").hidden = section !== "events";
  $("event").hidden = section !== "event";
}

async function signIn(token) {
  session.keep(token);
  try {
    const mine = await get("/api/me/events");
    message("");
    $("session-role").textContent = t(`dashboard.role.${mine.role}`);
    drawEvents(mine.items);
    return true;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      session.forget();
      show("signin");
      message(t(error.status === 403 ? "dashboard.signin.not_organiser" : "dashboard.signin.unknown"));
      $("token").focus();
    } else {
      message(explain(error));
    }
    return false;
  }
}

function drawEvents(events) {
  $("events-empty").hidden = events.length > 0;
  $("event-list").replaceChildren(...events.map((event) => el("li", {},
    el("button", {type: "button", class: "event-button", dataset: {eventId: event.id},
                  on: {click: () => openEvent(event.id)}},
       el("span", {class: "event-name"}, localized(event.name)),
       el("span", {class: "event-meta"}, `${eventTime(event.starts_at, event.timezone)} · ${event.venue || ""}`),
       el("span", {class: `status status-event-${event.status}`}, t(`dashboard.event_status.${event.status}`))))));
}

async function showEvents() {
  live.close();
  current = null;
  history.replaceState(null, "", location.pathname + location.search);
  show("events");
  await signIn(session.token);
}

async function openEvent(id, tab = "live") {
  try {
    showEvent(await get(`/api/events/${encodeURIComponent(id)}`), tab);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      session.forget();
      show("signin");
    }
    message(explain(error));
  }
}

function showEvent(event, tab) {
  current = event;
  message("");
  show("event");
  $("event-title").textContent = localized(event.name);
  $("event-meta").textContent = `${eventTime(event.starts_at, event.timezone)} – ${eventTime(event.ends_at, event.timezone)} · ${event.venue} · ${t(`dashboard.event_status.${event.status}`)}`;
  $("tabs").hidden = false;
  selectTab(tab);
}

function newEvent() {
  current = null;
  live.close();
  show("event");
  $("event-title").textContent = t("dashboard.editor.create");
  $("event-meta").textContent = "";
  $("tabs").hidden = true;
  for (const name of TABS) {
    $(`tab-${name}`).hidden = name !== "editor";
  }
  editor.open(null);
  $("ev-id").focus();
}

function selectTab(tab) {
  for (const name of TABS) {
    $(`tab-${name}`).hidden = name !== tab;
    const button = document.querySelector(`[data-tab=${name}]`);
    if (name === tab) {
      button.setAttribute("aria-current", "page");
    } else {
      button.removeAttribute("aria-current");
    }
  }
  history.replaceState(null, "", `#event=${encodeURIComponent(current.id)}&tab=${tab}`);
  if (tab === "live") {
    live.open(current);
  } else {
    live.close();
  }
  if (tab === "registrations") {
    table.open(current);
  } else if (tab === "editor") {
    editor.open(current);
  } else if (tab === "lists") {
    lists.open(current);
  } else if (tab === "door") {
    door.open(current);
  }
}

$("signin-form").addEventListener("submit", async (submit) => {
  submit.preventDefault();
  const token = $("token").value.trim();
  $("token").value = "";
  if (token && await signIn(token)) {
    show("events");
  }
});
$("signout").addEventListener("click", () => {
  session.forget();
  live.close();
  show("signin");
  $("token").focus();
});
$("back").addEventListener("click", showEvents);
$("new-event").addEventListener("click", newEvent);
for (const button of document.querySelectorAll("[data-tab]")) {
  button.addEventListener("click", () => selectTab(button.dataset.tab));
}

/* The view the URL's fragment names (`#event=<id>&tab=<tab>`), or the event list. */
async function follow() {
  const wanted = new URLSearchParams(location.hash.slice(1));
  if (wanted.get("event")) {
    await openEvent(wanted.get("event"), TABS.includes(wanted.get("tab")) ? wanted.get("tab") : "live");
  } else {
    show("events");
  }
}

async function start() {
  if (!session.token) {
    show("signin");
    return;
  }
  if (await signIn(session.token)) {
    await follow();
  }
}

window.addEventListener("hashchange", () => session.token && follow());
start();
