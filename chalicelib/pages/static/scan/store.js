// What the scanner keeps on the device, in IndexedDB so it survives a reload, a crash or a dead
// battery: the offline bundles, the scans waiting to sync, this device's own entries (so an offline
// decision knows who already came in here) and the conflicts the server reported after a sync.
// The sign-in (token, event, list, mode) is small and lives in localStorage.
const DB = 'kapi-scan';
const STORES = { bundles: 'event', queue: 'nonce', entries: 'key', conflicts: 'nonce' };
let opening;

function db() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      for (const [name, keyPath] of Object.entries(STORES)) request.result.createObjectStore(name, { keyPath });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opening;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(names, mode, work) {
  const transaction = (await db()).transaction(names, mode);
  const finished = new Promise((resolve, reject) => {
    transaction.oncomplete = resolve;
    transaction.onabort = transaction.onerror = () => reject(transaction.error);
  });
  const result = await work(transaction);
  await finished;
  return result;
}

export function get(store, key) {
  return run([store], 'readonly', (tx) => done(tx.objectStore(store).get(key)));
}

export function all(store) {
  return run([store], 'readonly', (tx) => done(tx.objectStore(store).getAll()));
}

export function count(store) {
  return run([store], 'readonly', (tx) => done(tx.objectStore(store).count()));
}

export function put(store, value) {
  return run([store], 'readwrite', (tx) => done(tx.objectStore(store).put(value)));
}

/** One atomic step: the scans `synced` leave the queue and the `conflicts` are kept, or neither. */
export function settle(synced, conflicts) {
  return run(['queue', 'conflicts'], 'readwrite', (tx) => {
    for (const nonce of synced) tx.objectStore('queue').delete(nonce);
    for (const conflict of conflicts) tx.objectStore('conflicts').put(conflict);
  });
}

/** Records a scan decided here and, when it must be uploaded, queues it, in one transaction. */
export function record(entry, queued) {
  return run(['entries', 'queue'], 'readwrite', (tx) => {
    if (entry) tx.objectStore('entries').put(entry);
    if (queued) tx.objectStore('queue').put(queued);
  });
}

export const settings = {
  read(name) { return localStorage.getItem(`kapi.scan.${name}`); },
  write(name, value) {
    if (value === null || value === undefined) localStorage.removeItem(`kapi.scan.${name}`);
    else localStorage.setItem(`kapi.scan.${name}`, value);
  },
};
