// A scan decided on the device from the offline bundle, with the server's reasons in the server's
// order (SPEC §7): invalid, revoked, canceled, unapproved, product, invalid_time, already_redeemed.
// `entries` is this device's own record of the ticket on this list; entries made at other gates
// while offline cannot be known here, and come back from the server as conflicts after the sync.
import { openName, parseSecret, verifyTicket } from './crypto.js';

export function entryKey(eventId, listId, registrationId) {
  return `${eventId}|${listId}|${registrationId}`;
}

function allowedAgain(entry, list) {
  if (!entry || entry.entries === 0 || list.allow_multiple_entries) return true;
  return list.allow_entry_after_exit && entry.last_type === 'exit';
}

function openAt(list, now) {
  return (!list.valid_from || now >= new Date(list.valid_from)) && (!list.valid_until || now <= new Date(list.valid_until));
}

function reasonFor(bundle, list, ticket, ticketType, type, entry, now) {
  if (bundle.revoked.some((r) => r.secret === ticket.text)) return 'revoked';
  if (bundle.canceled.includes(ticket.registrationId)) return 'canceled';
  if (bundle.unapproved.includes(ticket.registrationId)) return 'unapproved';
  if (ticketType && list.ticket_types.length && !list.ticket_types.includes(ticketType)) return 'product';
  if (type === 'exit') return null;  // as on the server, exits skip only the time window and re-entry
  if (!openAt(list, now)) return 'invalid_time';
  if (!allowedAgain(entry, list)) return 'already_redeemed';
  return null;
}

/**
 * `{status, reason, ticket, ticketType, name}` for `secret` scanned as `type` on `list`.
 * A ticket signed after the bundle was fetched (not in `tickets`) is admitted on its signature, as
 * pretix's offline mode does; its name and type are then unknown.
 */
export async function decide({ bundle, list, secret, type, entry, now = new Date() }) {
  const ticket = parseSecret(secret);
  if (!ticket || !(await verifyTicket(ticket, bundle.event.id, bundle.keys))) {
    return { status: 'error', reason: 'invalid', ticket: null };
  }
  const [ticketType, sealed] = bundle.tickets[ticket.registrationId] ?? [null, null];
  const reason = reasonFor(bundle, list, ticket, ticketType, type, entry, now);
  const name = sealed ? await openName(bundle.event.id, ticket, sealed) : null;
  return { status: reason ? 'error' : 'ok', reason, ticket, ticketType, name };
}

/** This device's record of the ticket after an admitted scan (the server's state, in small). */
export function afterScan(entry, key, type, at) {
  const before = entry ?? { key, entries: 0, exits: 0, last_type: null };
  return { ...before, entries: before.entries + (type === 'entry' ? 1 : 0),
           exits: before.exits + (type === 'exit' ? 1 : 0), last_type: type, last_at: at,
           first_at: firstEntryAt(before) ?? (type === 'entry' ? at : null) };
}

/** When this device first let the ticket in on its list, if it knows (records kept before `first_at`
    was: their one entry, while it is the last scan). */
export function firstEntryAt(entry) {
  if (!entry) return null;
  if (entry.first_at) return entry.first_at;
  return entry.entries === 1 && entry.last_type === 'entry' ? entry.last_at ?? null : null;
}
