// Uploading the queue: scans admitted offline go to the batch endpoint (up to 100 a request) with
// their nonce, scan time, `offline: true` and `force: true`. A scan leaves the queue only after the
// server has answered it, in the same IndexedDB transaction that keeps what the server reported;
// a lost answer leaves it queued and the retry is harmless (the server is idempotent by nonce).
import { call, Unreachable } from '../shared/api.js';
import * as store from './store.js';

const BATCH = 100;
let running = null;

function groups(queue) {
  const byDoor = new Map();
  for (const scan of queue.sort((a, b) => a.scanned_at.localeCompare(b.scanned_at))) {
    const door = `${scan.event}|${scan.list}`;
    if (!byDoor.has(door)) byDoor.set(door, []);
    byDoor.get(door).push(scan);
  }
  return [...byDoor.values()];
}

function upload(scan) {
  return { secret: scan.secret, type: scan.type, nonce: scan.nonce, scanned_at: scan.scanned_at,
           force: true, offline: true };
}

/** What the device must show for one answered scan, or null when all went as decided here. */
function report(scan, result) {
  if (result.status === 'ok' && !result.conflict) return null;
  return { nonce: scan.nonce, event: scan.event, list: scan.list, scanned_at: scan.scanned_at,
           name: result.attendee?.name ?? null, reason: result.conflict?.reason ?? result.reason ?? result.error,
           first_entry: result.conflict?.first_entry ?? null };
}

async function send(token, scans) {
  const { event, list } = scans[0];
  const { status, body } = await call(`/api/events/${event}/checkin-lists/${list}/scans/batch`,
                                      { method: 'POST', token, body: { scans: scans.map(upload) }, timeout: 20000 });
  if (status === 200) {
    await store.settle(scans.map((s) => s.nonce), body.results.map((r, n) => report(scans[n], r)).filter(Boolean));
    return;
  }
  const bad = new Set((body?.details ?? []).map((d) => Number(/^scans\.(\d+)\./.exec(d.field)?.[1])).filter(Number.isInteger));
  if (status === 400 && bad.size) {
    // The server will never take these (e.g. a scan time it refuses): keep them as reports, send the rest.
    const refused = scans.filter((_, n) => bad.has(n));
    await store.settle(refused.map((s) => s.nonce), refused.map((s) => ({ ...report(s, { status: 'error', reason: 'invalid' }) })));
    const rest = scans.filter((_, n) => !bad.has(n));
    if (rest.length) await send(token, rest);
    return;
  }
  throw new Unreachable(`batch answered ${status}`);  // 401/403/404, 5xx: keep everything for a later try
}

/** Uploads everything queued; one run at a time. Resolves to the number of scans sent. */
export function sync(token) {
  running ??= (async () => {
    let sent = 0;
    try {
      for (const door of groups(await store.all('queue'))) {
        for (let start = 0; start < door.length; start += BATCH) {
          const scans = door.slice(start, start + BATCH);
          await send(token, scans);
          sent += scans.length;
        }
      }
    } finally {
      running = null;
    }
    return sent;
  })();
  return running;
}

// --- The offline bundle: paged, and after the first sync only what changed ----------------------
// The server answers at most a few thousand registrations a page (`next_cursor` for the rest); the
// last page's `sync_token`, given back as `?since=`, gets only the registrations changed since then,
// paged the same way. A page says how its registrations are now: for each of them the device drops
// what it had and takes the page's (a ticket, a refusal, or nothing when `removed`).

/** `bundle` with one page applied; `bundle` is null for the first page of a whole sync. */
export function merge(bundle, page) {
  const into = bundle ?? { tickets: {}, canceled: [], unapproved: [], revoked: [] };
  const changed = new Set([...Object.keys(page.tickets), ...(page.removed ?? [])]);
  const tickets = into.tickets;
  for (const id of changed) delete tickets[id];
  Object.assign(tickets, page.tickets);
  const keep = (ids, added) => [...ids.filter((id) => !changed.has(id)), ...added];
  const known = new Set(into.revoked.map((r) => r.secret));
  return {
    event: page.event, generated_at: page.generated_at, keys: page.keys, ticket_types: page.ticket_types,
    lists: page.lists, tickets,
    canceled: keep(into.canceled, page.canceled), unapproved: keep(into.unapproved, page.unapproved),
    revoked: [...into.revoked, ...page.revoked.filter((r) => !known.has(r.secret))],
    sync_token: page.sync_token,
  };
}

/**
 * The event's bundle brought up to date: only the changes when `kept` has a sync token, else the
 * whole of it. Resolves to null when the server refused (the kept bundle stays as it was); throws
 * Unreachable when offline. Nothing is merged into `kept` until the last page has arrived.
 */
export async function fetchBundle(token, eventId, kept, { timeout } = {}) {
  const incremental = Boolean(kept?.sync_token);
  let bundle = incremental ? structuredClone(kept) : null;
  let query = incremental ? `?since=${encodeURIComponent(kept.sync_token)}` : '';
  let pages = 0;
  for (;;) {
    const { status, body } = await call(`/api/events/${eventId}/offline-bundle${query}`,
                                        { token, timeout, unreachableOn5xx: true });
    if (status === 400 && incremental && pages === 0) return fetchBundle(token, eventId, null, { timeout });
    if (status !== 200) return null;
    bundle = merge(bundle, body);
    pages += 1;
    if (!body.next_cursor) return { bundle, pages, incremental };
    query = `?cursor=${encodeURIComponent(body.next_cursor)}`;
  }
}
