// Optional: pages are whole without it.
(function () {
  var d = document, b = d.body, L = d.documentElement.lang,
    Y = b.getAttribute("data-your-time") || "(your time: {time})",
    D = {year: "numeric", month: "short", day: "numeric", timeZone: "UTC"},
    F = {dateStyle: "medium", timeStyle: "short", hourCycle: "h23"};
  d.querySelectorAll("time[datetime]").forEach(function (e) {
    var v = e.getAttribute("datetime"), t = new Date(v), m = /([+-])(\d\d):(\d\d)$/.exec(v);
    if (isNaN(t) || !m ||
        (m[1] == "-" ? -1 : 1) * (m[2] * 60 + +m[3]) == -t.getTimezoneOffset()) return;
    var s = d.createElement("span");
    s.className = "local-time";
    s.textContent = " " + Y.replace("{time}", t.toLocaleString(L, F));
    e.after(s);
  });
  d.querySelectorAll(".bars[data-first]").forEach(function (g) {
    var a = g.getAttribute.bind(g), o = d.createElement("p"),
      k = [].filter.call(g.children, function (i) { return i.className != "d-pad"; }),
      f = new Date(a("data-first") + "T12:00Z"), n = k.length - 1;
    if (n < 0 || isNaN(f)) return;
    function show(i) {
      k[n].classList.remove("on");
      k[n = Math.max(0, Math.min(k.length - 1, i))].classList.add("on");
      o.textContent = k[n].title || new Date(+f + n * 864e5).toLocaleDateString(L, D) +
        a("data-colon") + a("data-quiet");
    }
    o.className = "bar-detail";
    o.setAttribute("aria-live", "polite");
    g.after(o);
    g.removeAttribute("aria-hidden");
    g.role = "group";
    g.ariaLabel = a("data-label");
    g.tabIndex = 0;
    g.onfocus = function () { show(n); };
    g.onblur = function () { k[n].classList.remove("on"); };
    g.onkeydown = function (e) {
      var s = {ArrowLeft: -1, ArrowRight: 1, Home: -1e4, End: 1e4}[e.key];
      if (s) { e.preventDefault(); show(n + s); }
    };
    k.forEach(function (i, j) { i.onpointerenter = i.onclick = function () { show(j); }; });
  });
  var r = b.getAttribute("data-refresh");
  if (r) setTimeout(function () { location.reload(); }, r * 1e3);
})();
