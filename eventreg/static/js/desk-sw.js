// The check-in desk's service worker (served from under the desk's address, which is its
// scope). It keeps the desk page and the assets it loads, asking the network first and
// answering from the cache when there is none, so that the desk opens again offline. The
// desk's JSON (codes, counter, sync) always goes to the network: desk.js keeps the list.
"use strict";

var CACHE = "eventreg-desk-v1";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

function deskPath() {
  return new URL(self.registration.scope).pathname;
}

// The desk page is kept under its address without a query (?q=... is a search).
function cacheKey(request) {
  var url = new URL(request.url);
  return url.pathname === deskPath() ? url.origin + url.pathname : request.url;
}

function keep(request, response) {
  // Never keep a redirect (to the login page, say) as the desk, nor an error.
  if (!response || !response.ok || response.redirected || response.type !== "basic") {
    return Promise.resolve();
  }
  var copy = response.clone();
  return caches.open(CACHE).then(function (cache) {
    return cache.put(cacheKey(request), copy);
  });
}

self.addEventListener("message", function (event) {
  var message = event.data || {};
  if (message.type !== "keep" || !Array.isArray(message.urls)) return;
  event.waitUntil(Promise.all(message.urls.map(function (url) {
    var request = new Request(new URL(url, self.registration.scope).href,
      { credentials: "same-origin" });
    if (new URL(request.url).origin !== self.location.origin) return null;
    return fetch(request).then(function (response) {
      return keep(request, response);
    }).catch(function () {});
  })));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // The desk's JSON (codes, counter, sync) and its worker always come from the network.
  var own = url.pathname.indexOf(deskPath() + "/") === 0;
  if (own && !/\/manifest\.webmanifest$/.test(url.pathname)) return;
  event.respondWith(
    fetch(request).then(function (response) {
      event.waitUntil(keep(request, response));
      return response;
    }).catch(function () {
      return caches.match(cacheKey(request)).then(function (cached) {
        return cached || Response.error();
      });
    })
  );
});
