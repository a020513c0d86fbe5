// The verdict: a full-width green, amber or red card with what the steward must say or do, the
// name and ticket type, whether it was decided offline; a sound; then back to scanning after a set
// time (the steward's choice, or until "Next"). It never blocks the next scan: a new verdict simply replaces it.
import { play } from './sound.js';
import { lang, t } from '../shared/texts.js';

let holdSeconds = 3;
const card = document.getElementById('verdict');
const parts = Object.fromEntries(['title', 'name', 'type', 'reason', 'first', 'offline']
  .map((part) => [part, document.getElementById(`verdict-${part}`)]));
let timer;

document.getElementById('verdict-next').addEventListener('click', hide);

/** How long a verdict stays: the steward's choice; 0 keeps it until "Next" (or the next scan). */
export function setHold(seconds) {
  holdSeconds = seconds;
}

export function hide() {
  clearTimeout(timer);
  card.hidden = true;
}

function kindOf(verdict) {
  if (verdict.status === 'ok') return 'ok';
  return verdict.reason === 'already_redeemed' ? 'already' : 'refused';
}

function title(verdict, type) {
  if (verdict.title) return verdict.title;
  if (verdict.status === 'ok') return t(`scan.verdict.ok.${type}`);
  return t(verdict.reason === 'already_redeemed' ? 'scan.verdict.already_redeemed' : 'scan.verdict.error');
}

/**
 * Shows `{status, reason, name, ticketTypeName, offline}` for a scan of `type`; `started` is the
 * moment the code was decoded, so the card reports how long the decision took (data-ms). A scan that
 * could not be checked at all (no check-in list) brings its own `title` and `message`; an amber one
 * may say when and where the ticket first came in (`firstEntry`, a sentence).
 */
export function show(verdict, type, started) {
  const kind = kindOf(verdict);
  Object.assign(card.dataset, { status: verdict.status, reason: verdict.reason ?? '', offline: String(!!verdict.offline),
                                kind, seq: String(Number(card.dataset.seq) + 1) });
  parts.title.textContent = title(verdict, type).toLocaleUpperCase(lang);
  parts.name.textContent = verdict.name || (verdict.ticket ? t('scan.verdict.no_name') : '');
  parts.type.textContent = verdict.ticketTypeName ?? '';
  parts.reason.textContent = verdict.message ?? (verdict.reason ? t(`checkin.reason.${verdict.reason}`) : '');
  parts.first.textContent = verdict.firstEntry ?? '';
  parts.offline.hidden = !verdict.offline;
  card.hidden = false;
  if (started !== undefined) card.dataset.ms = (performance.now() - started).toFixed(1);
  play(kind);
  clearTimeout(timer);
  if (holdSeconds > 0) timer = setTimeout(hide, holdSeconds * 1000);
}
