// Progressive enhancement: counts keystrokes, clicks and active time on the claim form and
// posts the three numbers with it. Never what was typed. Without this script the form works
// the same and the counts stay unknown.
(function () {
  var form = document.querySelector("form[data-effort]");
  if (!form) { return; }
  var keys = 0, clicks = 0, activeMs = 0, last = null, idleCutMs = 30 * 60 * 1000;
  function tick() {
    var now = Date.now();
    if (last !== null && now - last < idleCutMs) { activeMs += now - last; }
    last = now;
  }
  form.addEventListener("keydown", function () { keys += 1; tick(); });
  form.addEventListener("click", function () { clicks += 1; tick(); });
  form.addEventListener("submit", function () {
    tick();
    form.elements.keystrokes.value = String(keys);
    form.elements.clicks.value = String(clicks);
    form.elements.active_ms.value = String(activeMs);
  });
}());
