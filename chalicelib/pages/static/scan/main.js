// The door scanner: sign-in, the gate's choices, scanning from the camera or a keyboard-wedge
// scanner, name search, live counts, and the switch between asking the server and deciding here.
import { call, connection, isOnline, setOnline, Unreachable } from '../shared/api.js';
import { lang, localized, t } from '../shared/texts.js';
import { Camera } from './camera.js';
import { parseSecret } from './crypto.js';
import { afterScan, decide, entryKey, firstEntryAt } from './decide.js';
import { unlockOnFirstGesture } from './sound.js';
import * as store from './store.js';
import { fetchBundle, sync } from './sync.js';
import * as verdict from './verdict.js';

const BUNDLE_REFRESH_MS = 2 * 60 * 1000;
const STATUS_MS = 10 * 1000;
const PROBE_MS = 4 * 1000;
const BUNDLE_TIMEOUT_MS = 120 * 1000;  // a bundle page is half a megabyte: on a gate's network slow is not offline
const SCAN_TIMEOUT_MS = 2500;  // slower than this at a gate is as bad as no answer: decide here
const CALL_TIMEOUT_MS = 4000;  // sign-in, counts
// Every call here: a 5xx is as good as no server (Unreachable, like a failed or slow request).
const DOOR = { unreachableOn5xx: true };
// A sign-in QR code's link (`<site>/scan#code=<code>`, SPEC §16: a single-use code, never the token) or
// a bare token typed or scanned; a link still carrying `#token=` (from before codes) is refused.
const SIGN_IN_LINK = /#code=([A-Za-z0-9_-]+)/;
const BARE_TOKEN = /^kapi_[a-z2-7]{16}_[A-Za-z0-9_-]{43}$/;
const TOKEN_LINK = /#token=/;

const root = document.getElementById('scanner');
const $ = (id) => document.getElementById(id);
const form = $('setup');
const state = { token: store.settings.read('token'), events: JSON.parse(store.settings.read('events') ?? '[]'),
                bundle: null, fetchedAt: null };

// --- Decoder, camera, service worker --------------------------------------------------------------

const worker = new Worker(root.dataset.decoder, { type: 'module' });
const decoderReady = new Promise((resolve) => {
  worker.addEventListener('message', ({ data }) => { if ('ready' in data) resolve(data.ready); });
});
worker.postMessage({ wasm: root.dataset.wasm });
const camera = new Camera($('video'), worker, onCode);

async function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  await navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope });
  await navigator.serviceWorker.ready;
}

// --- Screens ------------------------------------------------------------------------------------

function currentList() {
  return state.bundle?.lists.find((list) => list.id === form.elements.list.value) ?? null;
}

function mode() { return form.elements.mode.value || 'entry'; }

function ticketTypeName(id) {
  const type = state.bundle?.ticket_types.find((candidate) => candidate.id === id);
  return type ? localized(type.name) : (id ?? '');
}

function showSignIn() {
  $('signin').hidden = false;
  for (const id of ['door', 'manual', 'scan-status']) $(id).hidden = true;
  $('camera').hidden = !camera.running;
  $('token').focus();
}

async function showDoor() {
  $('signin').hidden = true;
  for (const id of ['door', 'manual', 'camera', 'scan-status']) $(id).hidden = false;
  const select = form.elements.event;
  select.replaceChildren(...state.events.map((event) => new Option(localized(event.name), event.id)));
  select.value = store.settings.read('event') ?? state.events[0]?.id ?? '';
  if (!select.value && state.events.length) select.value = state.events[0].id;
  form.elements.mode.value = store.settings.read('mode') ?? 'entry';
  form.elements.hold.value = store.settings.read('hold') ?? '3';
  verdict.setHold(Number(form.elements.hold.value));
  await loadEvent();
  if (!camera.running) startCamera();
  $('code').focus();
}

async function loadEvent() {
  const eventId = form.elements.event.value;
  store.settings.write('event', eventId);
  const kept = await store.get('bundles', eventId);
  state.bundle = kept?.data ?? null;
  state.fetchedAt = kept?.fetched_at ?? null;
  fillLists();
  showAge();
  await refreshBundle();
  await Promise.all([refreshCounts(), showConflicts(), showQueue()]);
  markReady();
}

function fillLists() {
  const select = form.elements.list;
  const chosen = select.value || store.settings.read('list');
  select.replaceChildren(...(state.bundle?.lists ?? []).map((list) => new Option(list.name, list.id)));
  $('no-list').textContent = state.bundle && !state.bundle.lists.length ? t('scan.no_list') : '';
  if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
  store.settings.write('list', select.value || null);
}

async function markReady() {
  const ready = await Promise.all([decoderReady, registerWorker().then(() => true, () => false)]);
  root.dataset.offlineReady = String(ready.every(Boolean) && state.bundle !== null);
}

// --- Sign-in ------------------------------------------------------------------------------------

async function signIn(token) {
  const error = $('signin-error');
  error.textContent = '';
  let answer;
  try {
    answer = await call('/api/door/events', { ...DOOR, token, timeout: CALL_TIMEOUT_MS });
  } catch {
    error.textContent = t('scan.signin.error.network');
    return;
  }
  if (answer.status !== 200) {
    error.textContent = t('scan.signin.error.unknown');
    return;
  }
  if (!answer.body.items.length) {
    error.textContent = t('scan.signin.error.no_events');
    return;
  }
  state.token = token;
  state.events = answer.body.items;
  store.settings.write('token', token);
  store.settings.write('events', JSON.stringify(state.events));
  $('token').value = '';
  await showDoor();
}

function signOut() {
  for (const name of ['token', 'events', 'event', 'list']) store.settings.write(name, null);
  Object.keys(localStorage).filter((key) => key.startsWith('kapi.scan.counts.')).forEach((key) => localStorage.removeItem(key));
  Object.assign(state, { token: null, events: [], bundle: null, fetchedAt: null });
  camera.stop();
  updateCameraButtons();
  verdict.hide();
  showSignIn();  // queued scans stay on the device and sync after the next sign-in
}

/** Signing out asks first: the door's sign-in QR code is shown once, so a steward signed out by
    mistake needs a new one. Scans admitted offline and not uploaded yet are counted in the question:
    sign-out keeps them on the device, but only a later sign-in here for their event uploads them. */
async function askSignOut() {
  const waiting = await store.count('queue');
  const queued = $('signout-queue');
  queued.dataset.waiting = String(waiting);
  queued.textContent = waiting ? t('scan.signout.queue', { count: waiting }) : '';
  queued.hidden = waiting === 0;
  const dialog = $('signout-dialog');
  dialog.returnValue = '';
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'yes') signOut();
    else $('signout').focus();
  }, { once: true });
  dialog.showModal();
  $('signout-no').focus();  // the safe choice first: a second tap or Enter keeps the steward signed in
}

/** What a sign-in QR code or typed text holds: `{code}` (the dashboard's link), `{token}` (a bare
    token) or `{tokenLink: true}` (an old link with the token in it, refused), else null. */
function signInIn(text) {
  const trimmed = text.trim();
  const link = SIGN_IN_LINK.exec(trimmed);
  if (link) return { code: link[1] };
  if (BARE_TOKEN.test(trimmed)) return { token: trimmed };
  return TOKEN_LINK.test(trimmed) ? { tokenLink: true } : null;
}

/** Sign in from a code: the API trades it for the token once (`POST /api/door/sign-in`). */
async function redeem(code) {
  const error = $('signin-error');
  error.textContent = '';
  let answer;
  try {
    answer = await call('/api/door/sign-in', { ...DOOR, method: 'POST', body: { code }, timeout: CALL_TIMEOUT_MS });
  } catch {
    error.textContent = t('scan.signin.error.network');
    return;
  }
  if (answer.status !== 200) {
    showSignIn();
    error.textContent = t('scan.signin.error.code');
    return;
  }
  await signIn(answer.body.token);
}

function startSignIn(found) {
  if (found?.code) redeem(found.code);
  else if (found?.token) signIn(found.token);
  else if (found?.tokenLink) {
    showSignIn();
    $('signin-error').textContent = t('scan.signin.error.token_link');
  }
}

/** A sign-in link's fragment, taken out of the address bar and history at once (replaceState). */
function signInFromAddress() {
  if (!location.hash) return null;
  const found = signInIn(location.hash);
  if (found) history.replaceState(null, '', location.pathname + location.search);
  return found;
}

// --- Scanning -----------------------------------------------------------------------------------

function onCode(code, decodedAt) {
  if (!state.token) {
    startSignIn(signInIn(code));
    return;
  }
  check(code, decodedAt, mode());
}

/** Records on the device an answered scan of `ticket` ({secret} or {registration_id}). */
async function remember(ticket, type, at) {
  const registrationId = ticket.registration_id ?? parseSecret(ticket.secret)?.registrationId;
  if (!registrationId) return;
  const key = entryKey(form.elements.event.value, form.elements.list.value, registrationId);
  await store.record(afterScan(await store.get('entries', key), key, type, at), null);
}

/** Asks the server when it answers in time; otherwise decides here and queues the admission. */
async function check(secret, decodedAt, type) {
  const started = decodedAt ?? performance.now();
  const eventId = form.elements.event.value;
  const list = currentList();
  if (!list) {
    showNoList(started);
    return;
  }
  const nonce = crypto.randomUUID();
  const scannedAt = new Date().toISOString();
  if (isOnline() && await askServer({ secret }, type, list, { nonce, scannedAt, started })) return;
  await checkHere(secret, type, { eventId, list, nonce, scannedAt, started });
}

/** A scan for an event without a check-in list (or whose lists this device never received) cannot be
 *  checked: said in the verdict's place, red, never silently dropped. */
function showNoList(started) {
  verdict.show({ status: 'error', reason: 'no_list', title: t('scan.verdict.cannot_check'),
                 message: t(state.bundle ? 'scan.no_list' : 'scan.no_data'), offline: !isOnline() }, mode(), started);
}

/** A person found by name: admitted by registration id, never a secret (the door search holds none),
 *  so only the server can decide; without it the page says so and the steward tries again. */
async function admitFound(person) {
  const list = currentList();
  if (!list) {
    showNoList();
    return;
  }
  const scan = { nonce: crypto.randomUUID(), scannedAt: new Date().toISOString(), started: performance.now() };
  if (isOnline() && await askServer({ registration_id: person.registration_id }, 'entry', list, scan)) return;
  $('search-message').textContent = t('scan.search.offline');
}

/** The server's verdict on a scan, shown; false when the server did not answer it in time. */
async function askServer(ticket, type, list, { nonce, scannedAt, started }) {
  try {
    const { status, body } = await call(`/api/events/${form.elements.event.value}/checkin-lists/${list.id}/scans`, {
      ...DOOR, method: 'POST', token: state.token, body: { ...ticket, type, nonce }, timeout: SCAN_TIMEOUT_MS });
    if (status === 401 || status === 403) {
      signOut();  // the organiser revoked this token: the device must not keep admitting on it
      $('signin-error').textContent = t('scan.signin.error.unknown');
      return true;
    }
    if (body?.status === 'ok' || body?.status === 'error') {
      if (body.status === 'ok') await remember(ticket, type, scannedAt);
      verdict.show({ status: body.status, reason: body.reason, name: body.attendee?.name, ticket: !!body.attendee,
                     ticketTypeName: ticketTypeName(body.attendee?.ticket_type), offline: false,
                     firstEntry: firstEntryText(body.first_entry) }, type, started);
      refreshCounts();
      return true;
    }
  } catch (error) {
    if (!(error instanceof Unreachable)) throw error;
  }
  return false;
}

async function checkHere(secret, type, { eventId, list, nonce, scannedAt, started }) {
  if (!state.bundle) return;
  const ticket = parseSecret(secret);
  const key = ticket && entryKey(eventId, list.id, ticket.registrationId);
  const entry = key ? await store.get('entries', key) : null;
  const result = await decide({ bundle: state.bundle, list, secret, type, entry });
  const firstEntry = result.reason === 'already_redeemed' ? firstEntryText({ at: firstEntryAt(entry), list: list.id }) : '';
  verdict.show({ ...result, ticketTypeName: ticketTypeName(result.ticketType), offline: true, firstEntry }, type, started);
  if (result.status !== 'ok') return;
  await store.record(afterScan(entry, key, type, scannedAt),
                     { nonce, event: eventId, list: list.id, secret: result.ticket.text, type, scanned_at: scannedAt });
  showQueue();
  refreshCounts();
}

// --- Counts, queue, connection, bundle -----------------------------------------------------------

function showCounts(counts) {
  document.querySelector('[data-count=checkin]').textContent = counts?.checkin_count ?? '–';
  document.querySelector('[data-count=inside]').textContent = counts?.inside_count ?? '–';
}

/** `counts` from the server plus what this device admitted and has not uploaded yet (the server
    cannot count those): tickets entered (each once) and entries minus exits. */
async function withQueued(counts, eventId, listId) {
  if (!counts) return null;
  const queued = (await store.all('queue')).filter((scan) => scan.event === eventId && scan.list === listId);
  const entered = new Set(queued.filter((scan) => scan.type === 'entry')
    .map((scan) => parseSecret(scan.secret)?.registrationId ?? scan.secret));
  const inside = queued.reduce((sum, scan) => sum + (scan.type === 'entry' ? 1 : -1), 0);
  return { checkin_count: counts.checkin_count + entered.size,
           inside_count: Math.max(0, counts.inside_count + inside) };
}

/** The list's counts: the server's (offline, the last ones it gave, kept on the device) plus this
    device's scans still waiting to upload, so offline the figures move with every admission. */
async function refreshCounts() {
  const list = currentList();
  if (!list || !state.token) return;
  const eventId = form.elements.event.value;
  const kept = `counts.${eventId}.${list.id}`;
  showCounts(await withQueued(JSON.parse(store.settings.read(kept) ?? 'null'), eventId, list.id));
  if (!isOnline()) return;
  try {
    const { status, body } = await call(`/api/events/${eventId}/checkin-lists/${list.id}/status`,
                                        { ...DOOR, token: state.token, timeout: CALL_TIMEOUT_MS });
    if (status !== 200) return;
    const counts = { checkin_count: body.checkin_count, inside_count: body.inside_count };
    store.settings.write(kept, JSON.stringify(counts));
    showCounts(await withQueued(counts, eventId, list.id));
  } catch { /* shown as offline */ }
}

async function refreshBundle() {
  const eventId = form.elements.event.value;
  if (!eventId || !state.token || !isOnline()) return;
  try {
    // Paged, and only what changed once a sync token is kept (sync.js).
    const fetched = await fetchBundle(state.token, eventId, state.bundle?.event.id === eventId ? state.bundle : null,
                                      { timeout: BUNDLE_TIMEOUT_MS });
    if (!fetched) return;
    state.bundle = fetched.bundle;
    state.fetchedAt = Date.now();
    root.dataset.bundlePages = String(fetched.pages);
    root.dataset.bundleIncremental = String(fetched.incremental);
    await store.put('bundles', { event: eventId, fetched_at: state.fetchedAt, data: fetched.bundle });
    fillLists();
  } catch { /* keep the bundle we have */ }
  showAge();
}

function showAge() {
  $('data-age').textContent = state.fetchedAt === null ? t('scan.data_age.none')
    : t('scan.data_age', { minutes: Math.floor((Date.now() - state.fetchedAt) / 60000) });
}

async function showQueue() {
  const waiting = await store.count('queue');
  const queue = $('queue');
  queue.dataset.queue = String(waiting);
  queue.textContent = t('scan.queue', { count: waiting });
}

function showConnection() {
  const indicator = $('online');
  indicator.dataset.online = String(isOnline());
  indicator.textContent = t(`scan.online.${isOnline()}`);
}

/** A time as the gate's clock shows it: the event's own time zone. */
function timeOf(iso) {
  return new Date(iso).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit',
                                                  timeZone: state.bundle?.event.timezone });
}

/** A time at the gate: the clock alone on the event's day of `now`, else with the day (dd.mm). */
function whenOf(iso) {
  const zone = state.bundle?.event.timezone;
  const day = (date) => new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: '2-digit', timeZone: zone }).format(date);
  const date = new Date(iso);
  return day(date) === day(new Date()) ? timeOf(iso) : `${day(date).replace('/', '.')} ${timeOf(iso)}`;
}

/** "First entry: 14:05 · Main gate" for an amber verdict (the server's `first_entry`, or this
    device's own record offline); empty when the first entry is not known. */
function firstEntryText(firstEntry) {
  if (!firstEntry?.at) return '';
  const list = state.bundle?.lists.find((candidate) => candidate.id === firstEntry.list);
  return t('scan.verdict.first_entry', { time: whenOf(firstEntry.at), list: list?.name ?? firstEntry.list });
}

async function showConflicts() {
  const eventId = form.elements.event.value;
  const conflicts = (await store.all('conflicts')).filter((c) => c.event === eventId);
  $('conflicts').hidden = conflicts.length === 0;
  const pill = $('conflict-count');
  pill.dataset.conflicts = String(conflicts.length);
  pill.textContent = t('scan.conflicts.count', { count: conflicts.length });
  pill.hidden = conflicts.length === 0;
  $('conflict-items').replaceChildren(...conflicts.map((conflict) => {
    const item = document.createElement('li');
    item.dataset.conflict = conflict.reason;
    item.textContent = t('scan.conflicts.item', {
      name: conflict.name ?? t('scan.verdict.no_name'), reason: t(`checkin.reason.${conflict.reason}`),
      at: conflict.first_entry ? timeOf(conflict.first_entry.at) : t('scan.conflicts.first_unknown') });
    return item;
  }));
}

async function syncNow() {
  if (!state.token || !isOnline()) return;
  try {
    if (await sync(state.token)) {
      await Promise.all([showConflicts(), refreshCounts()]);
    }
  } catch (error) {
    if (!(error instanceof Unreachable)) throw error;
  }
  showQueue();
}

async function probe() {
  if (isOnline() || !state.token) return;
  try {
    await call('/api/door/events', { ...DOOR, token: state.token, timeout: 3000 });
  } catch { /* still offline */ }
}

connection.addEventListener('change', () => {
  showConnection();
  if (isOnline()) {
    syncNow();
    refreshBundle();
  }
});
addEventListener('offline', () => setOnline(false));
addEventListener('online', probe);

// --- Search -------------------------------------------------------------------------------------

function resultItem(person) {
  const item = document.createElement('li');
  const label = document.createElement('span');
  label.textContent = [person.name, ticketTypeName(person.ticket_type), person.inside ? t('scan.search.inside') : '']
    .filter(Boolean).join(' · ');
  const admit = document.createElement('button');
  admit.type = 'button';
  admit.className = 'button';
  admit.textContent = t('scan.search.admit', { name: person.name });
  admit.addEventListener('click', () => admitFound(person));
  item.append(label, admit);
  return item;
}

async function search(query) {
  const message = $('search-message');
  const results = $('search-results');
  results.replaceChildren();
  message.textContent = '';
  if (query.trim().length < 3) {
    message.textContent = t('scan.search.q');
    return;
  }
  const list = currentList();
  try {
    const { status, body } = await call(
      `/api/events/${form.elements.event.value}/checkin-lists/${list.id}/search?q=${encodeURIComponent(query)}`,
      { ...DOOR, token: state.token, timeout: 10000 });
    if (status !== 200) {  // the API's own words in the page's language: the field's reason, else the error's
      message.textContent = body?.details?.[0]?.message ?? body?.message ?? t('scan.search.offline');
      return;
    }
    results.replaceChildren(...body.items.map(resultItem));
    message.textContent = body.items.length ? '' : t('scan.search.none');
  } catch (error) {
    if (!(error instanceof Unreachable)) console.error(error);  // a fault of the page, not of the network
    message.textContent = t('scan.search.offline');
  }
}

// --- Camera controls ----------------------------------------------------------------------------

function updateCameraButtons() {
  const toggle = $('camera-toggle');
  toggle.textContent = camera.running ? toggle.dataset.stop : toggle.dataset.start;
  $('camera-switch').hidden = !camera.running || !camera.canSwitch();
  $('camera-torch').hidden = !camera.running || !camera.hasTorch();
}

async function startCamera() {
  $('camera-error').textContent = '';
  try {
    await camera.start();
  } catch {
    $('camera-error').textContent = t('scan.camera.error');
  }
  updateCameraButtons();
}

// --- Wiring -------------------------------------------------------------------------------------

$('signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const typed = $('token').value.trim();
  if (typed) startSignIn(signInIn(typed) ?? { token: typed });
});
$('signin-camera').addEventListener('click', () => { $('camera').hidden = false; startCamera(); });
$('signout').addEventListener('click', askSignOut);
form.elements.event.addEventListener('change', () => { store.settings.write('list', null); loadEvent(); });
form.elements.list.addEventListener('change', () => { store.settings.write('list', form.elements.list.value); refreshCounts(); });
form.addEventListener('change', (event) => {
  if (event.target.name === 'mode') store.settings.write('mode', mode());
  if (event.target.name === 'hold') {
    store.settings.write('hold', event.target.value);
    verdict.setHold(Number(event.target.value));
  }
});
form.addEventListener('submit', (event) => event.preventDefault());
$('code-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('code');
  const code = input.value.trim();
  input.value = '';
  if (code) check(code, undefined, mode());
});
$('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  search($('q').value);
});
$('camera-toggle').addEventListener('click', () => {
  if (camera.running) {
    camera.stop();
    updateCameraButtons();
  } else {
    startCamera();
  }
});
$('camera-switch').addEventListener('click', () => camera.switch().then(updateCameraButtons));
$('camera-torch').addEventListener('click', async () => {
  $('camera-torch').setAttribute('aria-pressed', String(await camera.toggleTorch()));
});
// A wedge scanner types wherever the focus is: typing outside a text field goes to the code box. On
// a control the steward just tapped (the mode's radio, the hold select, a button) the key would work
// the control instead (a select jumps to the option of that letter), so it is taken from it and put
// into the box; a space still works the control, as codes hold none.
const TEXT_FIELD = 'textarea, input:not([type=radio]):not([type=checkbox]):not([type=button]):not([type=submit])';
addEventListener('keydown', (event) => {
  if (!state.token || event.key.length !== 1 || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest?.(TEXT_FIELD) || target.closest?.('dialog')) return;
  const code = $('code');
  if (target.closest?.('select, input, button')) {
    if (event.key === ' ') return;
    event.preventDefault();
    code.value += event.key;
  }
  code.focus();
});

unlockOnFirstGesture();
showConnection();
setInterval(() => { refreshCounts(); showAge(); }, STATUS_MS);
setInterval(probe, PROBE_MS);
setInterval(refreshBundle, BUNDLE_REFRESH_MS);
setInterval(syncNow, STATUS_MS);

// A sign-in link opened in a tab that is on /scan already changes only the fragment.
addEventListener('hashchange', () => startSignIn(signInFromAddress()));
const fromAddress = signInFromAddress();
if (fromAddress) startSignIn(fromAddress);
else if (state.token) showDoor().then(syncNow);
else showSignIn();
