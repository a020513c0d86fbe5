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
