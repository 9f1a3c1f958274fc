/* voxloop service worker (scope /m/).
 *
 * - A page opens offline: pages are network-first, so whenever the hub answers, the page (with
 *   the survey's current version) comes from the hub and replaces the kept copy; a kept copy is
 *   only ever shown without a network, so a survey never goes stale online. Kept copies live in
 *   a cache named by the release version; a new release drops the old ones.
 * - Answers go out in the background (Background Sync) through the same outbox the page uses:
 *   phone.js, imported here for that part only (the browser keeps imported scripts with the
 *   worker). The page carries its style and script inline, so nothing else needs keeping.
 */
var VERSION = '__VERSION__';
var PAGES = 'voxloop-pages-' + VERSION;

importScripts('static/phone.js?v=' + VERSION);

self.addEventListener('install', function () { self.skipWaiting(); });

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf('voxloop-') === 0 && name !== PAGES;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('fetch', function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== 'GET' || request.mode !== 'navigate' || url.origin !== self.location.origin) return;
  var key = url.origin + url.pathname;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { return cache.put(key, copy); });
    }
    return response;
  }, function () {
    return caches.open(PAGES).then(function (cache) { return cache.match(key, { ignoreVary: true }); })
      .then(function (hit) { return hit || Response.error(); });
  }));
});

self.addEventListener('sync', function (event) {
  if (event.tag === 'voxloop-outbox') event.waitUntil(self.VoxloopOutbox.flush());
});
