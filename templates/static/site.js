// Optional: the page is complete without it. Adds the reader's own time to every time shown
// where the reader's clock differed from the site's at that instant (the site's time stays
// visible), lets keyboards and touch reach each uptime bar's day, and refreshes the page while
// an incident is ongoing.
(function () {
  var d = document, b = d.body, lang = d.documentElement.lang;
  // The page's texts for the script, in its language (set by the theme).
  var yours = b.getAttribute("data-your-time") || "(your time: {time})";
  var format = {year: "numeric", month: "short", day: "numeric", hour: "2-digit",
                minute: "2-digit", hourCycle: "h23"};  // the page's own clock is 24-hour
  d.querySelectorAll("time[datetime]").forEach(function (el) {
    var v = el.getAttribute("datetime"), t = new Date(v), m = /([+-])(\d\d):(\d\d)$/.exec(v);
    if (isNaN(t) || !m || v.length < 16) return;
    var site = (m[1] == "-" ? -1 : 1) * (m[2] * 60 + +m[3]);
    if (site == -t.getTimezoneOffset()) return;  // the reader's offset at that instant
    var s = d.createElement("span");
    s.className = "local-time";
    s.textContent = " " + yours.replace("{time}", t.toLocaleString(lang, format));
    el.after(s);
  });
  // Uptime bars: one stop in the tab order per strip; arrow keys (or a tap, or the pointer)
  // pick a day, whose detail shows under the strip and is read out.
  d.querySelectorAll(".bars[data-first]").forEach(function (strip) {
    var days = Array.prototype.filter.call(strip.children, function (i) {
      return !i.classList.contains("d-pad");
    });
    var first = new Date(strip.getAttribute("data-first") + "T12:00:00Z");
    if (!days.length || isNaN(first)) return;
    // A quiet day has no title of its own (the page stays light): its date and the words.
    function detail(n) {
      var title = days[n].getAttribute("title");
      if (title) return title;
      var day = new Date(first.getTime() + n * 864e5);
      return day.toLocaleDateString(lang, {year: "numeric", month: "short", day: "numeric",
                                           timeZone: "UTC"}) + (strip.getAttribute("data-colon") || ": ") +
        strip.getAttribute("data-quiet");
    }
    var out = d.createElement("p"), at = days.length - 1;
    out.className = "bar-detail";
    out.setAttribute("aria-live", "polite");
    strip.after(out);
    strip.removeAttribute("aria-hidden");
    strip.setAttribute("role", "group");
    strip.setAttribute("aria-label", strip.getAttribute("data-label"));
    strip.tabIndex = 0;
    function show(n) {
      days[at].classList.remove("picked");
      at = Math.max(0, Math.min(days.length - 1, n));
      days[at].classList.add("picked");
      out.textContent = detail(at);
    }
    strip.addEventListener("focus", function () { show(at); });
    strip.addEventListener("blur", function () { days[at].classList.remove("picked"); });
    strip.addEventListener("keydown", function (e) {
      var step = {ArrowLeft: -1, ArrowRight: 1, Home: -days.length, End: days.length}[e.key];
      if (step === undefined) return;
      e.preventDefault();
      show(at + step);
    });
    days.forEach(function (day, n) {
      day.addEventListener("pointerenter", function () { show(n); });
      day.addEventListener("click", function () { show(n); });
    });
  });
  var r = b.getAttribute("data-refresh");
  if (r) setTimeout(function () { location.reload(); }, r * 1000);
})();
