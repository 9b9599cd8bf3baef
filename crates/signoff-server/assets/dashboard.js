// signoff dashboard: a page leaving (or kept in the back-forward cache) closes
// its live event stream, so that streams of pages no longer shown do not hold
// the browser's few connections to the server; a page shown again from that
// cache is reloaded, to be current and live again.
(function () {
  function streams(act) {
    document.querySelectorAll('[sse-connect]').forEach(function (element) {
      var data = element['htmx-internal-data'];
      if (data && data.sseEventSource) { act(data.sseEventSource); }
    });
  }
  window.addEventListener('pagehide', function () {
    streams(function (source) { source.close(); });
  });
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) { window.location.reload(); }
  });
})();
