// FTP Lab handout: step through the run. Only this script runs on the page (its policy).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var steps = Array.prototype.slice.call(document.querySelectorAll("#story > .step"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("#ladder .row"));
  var slider = document.getElementById("slider");
  var where = document.getElementById("where");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var ahead = document.getElementById("ahead");
  if (!steps.length || !slider) { return; }
  var k = 0;
  function asking(s) {
    var d = s.querySelector("details.answer");
    return s.classList.contains("ask") && d && !d.open;
  }
  var box = document.getElementById("ladder");
  // Scrolls the ladder (not the page) so the current row is in view, a third from the top.
  function follow(row) {
    var r = row.getBoundingClientRect(), b = box.getBoundingClientRect();
    var bottom = Math.min(b.bottom, window.innerHeight);
    if (r.top < b.top + 30 || r.bottom > bottom - 10) {
      box.scrollTop += r.top - b.top - Math.max(30, (bottom - b.top) / 3);
    }
  }
  // A packet on its way when a question is asked: its arrow only as far as it has got, no
  // head, no fate, nothing a NAT did later (as predict mode in the window).
  function reach(r, cursor) {
    var line = r.querySelector("line.shaft");
    if (!line) { return; }
    var x = line.dataset.x2;
    if (cursor !== null) {
      x = line.getAttribute("x1");
      line.dataset.reach.split(" ").forEach(function (h) {
        var p = h.split(":");
        if (p.length === 2 && Number(p[0]) <= cursor) { x = p[1]; }
      });
    }
    line.setAttribute("x2", x);
    r.classList.toggle("pending", cursor !== null);
    Array.prototype.forEach.call(r.querySelectorAll("g.after"), function (g) {
      g.classList.toggle("unseen-part", cursor !== null && Number(g.dataset.at) > cursor);
    });
  }
  function show(n) {
    k = Math.max(0, Math.min(steps.length - 1, n));
    var s = steps[k];
    steps.forEach(function (x, i) { x.classList.toggle("current", i === k); });
    var cursor = Number(s.dataset.cursor);
    // How far the ladder may show: later rows tell what happens next, so only as far as
    // the cursor, unless "show what comes later" is ticked (faint then); and never past a
    // question from here on not yet answered (two questions can wait at one moment).
    var limit = (ahead && ahead.checked) ? Infinity : cursor;
    for (var q = k; q < steps.length; q++) {
      if (asking(steps[q])) { limit = Math.min(limit, Number(steps[q].dataset.cursor)); break; }
    }
    document.documentElement.classList.toggle("holding", k < steps.length - 1);
    var current = null;
    rows.forEach(function (r) {
      var first = Number(r.dataset.first), later = first > cursor;
      reach(r, first <= limit && Number(r.dataset.last) > limit ? limit : null);
      var on = r.dataset.j === s.dataset.row && !later;
      r.classList.toggle("current", on);
      r.classList.toggle("future", later);
      r.classList.toggle("unseen", first > limit);
      if (on) { current = r; }
    });
    slider.value = String(k);
    where.textContent = "Step " + (k + 1) + " of " + steps.length;
    prev.disabled = k === 0;
    next.disabled = k === steps.length - 1;
    if (current) { follow(current); }
    try { history.replaceState(null, "", "#step-" + (k + 1)); } catch (err) { /* a file: URL may refuse */ }
  }
  prev.addEventListener("click", function () { show(k - 1); });
  next.addEventListener("click", function () { show(k + 1); });
  slider.addEventListener("input", function () { show(Number(slider.value)); });
  if (ahead) { ahead.addEventListener("change", function () { show(k); }); }
  document.addEventListener("keydown", function (e) {
    if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.key === "ArrowRight") { show(k + 1); e.preventDefault(); }
    if (e.key === "ArrowLeft") { show(k - 1); e.preventDefault(); }
  });
  steps.forEach(function (s) {
    var d = s.querySelector("details.answer");
    if (d) { d.addEventListener("toggle", function () { show(k); }); }
  });
  // On paper every row is whole, whatever step the screen was on.
  window.addEventListener("beforeprint", function () {
    rows.forEach(function (r) {
      reach(r, null);
      r.classList.remove("future", "unseen", "current");
    });
  });
  window.addEventListener("afterprint", function () { show(k); });
  var m = /^#step-(\d+)$/.exec(location.hash);
  show(m ? Number(m[1]) - 1 : 0);
})();
