// FTP Lab's students' page: the question the teacher's window asks, the choices, the
// answer sent, then right or wrong. Everything shown is set as text, never as markup.
(function () {
  "use strict";
  var token = location.pathname.split("/")[2] || "";
  var base = "/c/" + token + "/";
  var key = "ftplab-device-" + token;
  var device = null;
  try { device = localStorage.getItem(key); } catch (e) { device = null; }
  if (!/^[0-9a-f]{32}$/.test(device || "")) {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    device = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    try { localStorage.setItem(key, device); } catch (e) { /* a private window */ }
  }
  var $ = function (id) { return document.getElementById(id); };
  var name = $("name");
  try { name.value = localStorage.getItem("ftplab-name") || ""; } catch (e) { /* none */ }
  name.addEventListener("change", function () {
    try { localStorage.setItem("ftplab-name", name.value); } catch (e) { /* none */ }
  });
  var last = null, ended = false;

  function status(text) { $("status").textContent = text; }

  function render(v) {
    last = v;
    var q = v.question;
    $("question").hidden = !q;
    $("result").hidden = v.phase !== "revealed";
    $("problem").hidden = true;
    if (v.phase === "waiting") { status("Waiting for the teacher's next question…"); }
    if (v.phase === "asking") { status("The teacher asks:"); }
    if (v.phase === "revealed") { status("The answer:"); }
    if (v.phase === "ended") {
      status("The session has ended. Thank you!");
      ended = true;
      return;
    }
    if (!q) { return; }
    $("text").textContent = q.text;
    var box = $("choices");
    while (box.firstChild) { box.removeChild(box.firstChild); }
    q.choices.forEach(function (c, i) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = String.fromCharCode(65 + i) + ". " + c;
      btn.classList.toggle("chosen", v.yours === i);
      btn.classList.toggle("right", v.phase === "revealed" && v.answer === i);
      btn.disabled = v.phase !== "asking";
      btn.setAttribute("aria-pressed", v.yours === i ? "true" : "false");
      btn.addEventListener("click", function () { send(q.id, i); });
      box.appendChild(btn);
    });
    $("sent").hidden = !(v.phase === "asking" && v.yours !== null && v.yours !== undefined);
    if (v.phase === "revealed") {
      var right = q.choices[v.answer];
      var verdict = $("verdict");
      if (v.yours === null || v.yours === undefined) {
        verdict.textContent = "You did not answer. The answer is " + right + ".";
        verdict.className = "";
      } else if (v.yours === v.answer) {
        verdict.textContent = "Right! " + right + ".";
        verdict.className = "ok";
      } else {
        verdict.textContent = "Not this time: the answer is " + right + ".";
        verdict.className = "bad";
      }
      $("explain").textContent = v.explain || "";
    }
  }

  function send(id, choice) {
    fetch(base + "answer", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ d: device, q: id, c: choice, name: name.value || null })
    }).then(function (r) {
      if (r.status === 204) {
        if (last && last.question && last.question.id === id) { last.yours = choice; render(last); }
        return;
      }
      return r.text().then(function (t) {
        $("problem").textContent = "Not sent: " + (t || r.status);
        $("problem").hidden = false;
      });
    }).catch(function () {
      $("problem").textContent = "Not sent: the teacher's machine cannot be reached.";
      $("problem").hidden = false;
    });
  }

  // Pushed by the server as events; polled when events do not get through.
  var polling = null;
  function poll() {
    fetch(base + "state?d=" + device).then(function (r) { return r.json(); })
      .then(function (v) { render(v); })
      .catch(function () { if (!ended) { status("The teacher's machine cannot be reached. Trying again…"); } });
  }
  var es = new EventSource(base + "events?d=" + device);
  es.onmessage = function (e) {
    if (polling) { clearInterval(polling); polling = null; }
    render(JSON.parse(e.data));
    if (ended) { es.close(); }
  };
  es.onerror = function () {
    if (ended) { es.close(); return; }
    status("The teacher's machine cannot be reached. Trying again…");
    if (!polling) { polling = setInterval(function () { if (!ended) { poll(); } }, 3000); }
  };
})();
