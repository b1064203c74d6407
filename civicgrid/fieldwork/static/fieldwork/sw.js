/* civicgrid fieldwork service worker (served at /fieldwork-sw.js; self.FIELDWORK is prepended by the
   server: {version, pages, assets}). It keeps the grid worker's pages and assets for offline use:
   pages network first (a fresh copy when there is signal, the kept one without), assets cache
   first. It never touches POSTs: the page's own queue (app.js) sends those when the network is back. */
"use strict";
const CONFIG = self.FIELDWORK || { version: "dev", pages: [], assets: [] };
const CACHE = "fieldwork-" + CONFIG.version;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then(async (cache) => {
      await cache.addAll(CONFIG.assets);
      for (const url of CONFIG.pages) {
        try {
          const response = await fetch(url, { credentials: "same-origin", redirect: "follow" });
          if (response.ok && !response.redirected) await cache.put(url, response);
        } catch (e) { /* offline during install: the page is kept on its next visit */ }
      }
    }).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("fieldwork-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

function isPage(url) {
  return CONFIG.pages.includes(url.pathname);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (CONFIG.assets.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit || fetch(request)));
    return;
  }
  if (request.mode === "navigate" && isPage(url)) {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && !response.redirected) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
          }
          return response;
        })
        .catch(() => caches.match(url.pathname).then((hit) => hit || Response.error()))
    );
  }
});

self.addEventListener("message", (event) => {
  if (event.data === "forget") {
    event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k.startsWith("fieldwork-")).map((k) => caches.delete(k)))));
  }
});
