/*
 * Footfall's tracking snippet (readable source; script.js is the minified build).
 *
 * <script defer data-domain="blog.example" src="https://HOST/js/script.js"></script>
 *
 * Optional attributes: data-api (the ingest URL, for proxied set-ups), data-hash (count
 * #fragment changes as page views), data-outbound (outbound link clicks), data-downloads
 * (file download clicks), data-include-localhost. No cookies, no storage writes.
 * ES5 only: the build's minifier (calmjs.parse) reads ES5.
 */
(function (window, document) {
  "use strict";
  var script = document.currentScript;
  var location = window.location;
  var history = window.history;
  var queued = window.footfall && window.footfall.q;
  var attr = function (name) {
    return script.getAttribute("data-" + name);
  };
  var api = attr("api") || new URL("/api/event", script.src).href;
  var hashMode = attr("hash") !== null;
  var pending = [];
  var timer = 0;
  var lastPage = null;
  var lastUrl = null;
  var engagedMs = 0;
  var engagedSince = 0;
  var maxScroll = 0;
  var sentScroll = 0;

  function ignored() {
    try {
      if (window.localStorage.footfall_ignore === "true") return true;
    } catch (e) {
      // Storage can be blocked; then there is no opt-out to read.
    }
    return (
      attr("include-localhost") === null &&
      (/^(localhost|127\.|\[::1\])/.test(location.hostname) || location.protocol === "file:")
    );
  }

  function send() {
    clearTimeout(timer);
    timer = 0;
    while (pending.length) {
      var body = JSON.stringify(pending.splice(0, 20));
      if (!(navigator.sendBeacon && navigator.sendBeacon(api, body))) {
        fetch(api, { method: "POST", body: body, keepalive: true, headers: { "Content-Type": "text/plain" } });
      }
    }
  }

  function track(name, options, now) {
    options = options || {};
    var event = { n: name, u: options.u || location.href, d: attr("domain"), r: options.r || null };
    if (hashMode) event.h = 1;
    if (options.props) event.p = options.props;
    if (options.e !== undefined) {
      event.e = options.e;
      event.sd = options.sd;
    }
    pending.push(event);
    // Events close together travel in one request; anything that may precede leaving the page
    // (or that a callback waits for) goes at once: a beacon survives the unload.
    if (now || options.callback) send();
    else if (!timer) timer = setTimeout(send, 1000);
    if (options.callback) options.callback();
  }

  function scrollDepth() {
    var body = document.body || {};
    var root = document.documentElement;
    var height = Math.max(body.scrollHeight || 0, root.scrollHeight, root.offsetHeight);
    var seen = (window.scrollY || root.scrollTop) + window.innerHeight;
    return Math.min(100, Math.round((seen / Math.max(height, 1)) * 100));
  }

  function visible() {
    return document.visibilityState === "visible" && document.hasFocus();
  }

  function tick() {
    if (engagedSince) engagedMs += Date.now() - engagedSince;
    engagedSince = visible() ? Date.now() : 0;
  }

  function engagement(now) {
    tick();
    if (lastPage !== null && (engagedMs >= 1000 || maxScroll > sentScroll)) {
      // After an SPA navigation the address already shows the next page: name the one read.
      track("engagement", { u: lastUrl, e: engagedMs, sd: maxScroll });
      engagedMs = 0;
      sentScroll = maxScroll;
    }
    if (now) send(); // leaving: whatever is still batched goes too
  }

  function page(referrer) {
    var current = location.pathname + (hashMode ? location.hash : "");
    if (current === lastPage) return;
    engagement(false);
    track("pageview", { r: referrer });
    lastPage = current;
    lastUrl = location.href;
    maxScroll = sentScroll = scrollDepth();
    engagedMs = 0;
    engagedSince = visible() ? Date.now() : 0;
  }

  function navigated() {
    page(null);
  }

  function clicked(event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link) return;
    var url = new URL(link.href, location.href);
    if (attr("downloads") !== null && /\.(pdf|zip|dmg|exe|docx?|xlsx?|pptx?|csv|mp3|mp4|gz|epub)$/i.test(url.pathname)) {
      track("File Download", { props: { url: url.href } }, true);
    } else if (attr("outbound") !== null && /^https?:$/.test(url.protocol) && url.host !== location.host) {
      track("Outbound Link: Click", { props: { url: url.href } }, true);
    }
  }

  function footfall(name, options) {
    track(name, options, false);
  }

  if (ignored()) {
    window.footfall = function (name, options) {
      if (options && options.callback) options.callback();
    };
    return;
  }

  ["pushState", "replaceState"].forEach(function (method) {
    var original = history[method];
    history[method] = function () {
      var result = original.apply(this, arguments);
      navigated();
      return result;
    };
  });
  window.addEventListener("popstate", navigated);
  if (hashMode) window.addEventListener("hashchange", navigated);
  window.addEventListener("scroll", function () {
    maxScroll = Math.max(maxScroll, scrollDepth());
  }, { passive: true });
  ["focus", "blur"].forEach(function (name) {
    window.addEventListener(name, tick);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") engagement(true);
    else tick();
  });
  window.addEventListener("pagehide", function () {
    engagement(true);
  });
  document.addEventListener("click", clicked, true);

  window.footfall = footfall;
  page(document.referrer || null);
  for (var i = 0; queued && i < queued.length; i++) footfall.apply(null, queued[i]);
})(window, document);
