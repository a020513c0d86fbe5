// The scanner's service worker (served as /scan/sw.js after its SCOPE, STATIC, CACHE and PRECACHE
// lines, all under the stage path if there is one): the page, its modules and the decoder come from
// the cache when the network does not answer, so the scanner opens and decides at a gate with no
// signal. The API is never cached here: the page itself keeps the offline bundle and the queue in
// IndexedDB.
const NETWORK_WAIT_MS = 3000;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name.startsWith('kapi-scan-') && name !== CACHE)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

function withTimeout(promise) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error('slow')), NETWORK_WAIT_MS))]);
}

/** The page: the network's newest copy when it answers in time (kept for later), else the cached one. */
async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request));
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request) ?? await cache.match(SCOPE);
    if (cached) return cached;
    throw error;
  }
}

/** A file: hashed URLs never change, so the cache answers first; the network fills any gap. */
async function file(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const older = await cache.match(request, { ignoreSearch: true });
    if (older) return older;
    throw error;
  }
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname === SCOPE) event.respondWith(page(event.request));
  else if (url.pathname.startsWith(STATIC)) event.respondWith(file(event.request));
});
