// Optional: the page is complete without it. Adds the reader's own time to every time shown
// (the site's time zone stays visible) and refreshes the page while an incident is ongoing.
(function () {
  var d = document, here = -new Date().getTimezoneOffset();
  d.querySelectorAll("time[datetime]").forEach(function (el) {
    var v = el.getAttribute("datetime"), t = new Date(v), m = /([+-])(\d\d):(\d\d)$/.exec(v);
    if (isNaN(t) || !m || v.length < 16) return;
    var site = (m[1] == "-" ? -1 : 1) * (m[2] * 60 + +m[3]);
    if (site == here) return;
    var s = d.createElement("span");
    s.className = "local-time";
    s.textContent = " (" + t.toLocaleString(d.documentElement.lang, {dateStyle: "medium", timeStyle: "short"}) + ")";
    el.after(s);
  });
  var r = d.body.getAttribute("data-refresh");
  if (r) setTimeout(function () { location.reload(); }, r * 1000);
})();
