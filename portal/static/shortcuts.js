// Clerk keyboard shortcuts, a progressive enhancement: without JavaScript the accesskey
// attributes still work (Alt+Shift+key in most browsers). One key, no modifier, whenever
// the focus is not in a field: the element marked data-shortcut="<key>" is clicked; a
// <summary> opens its form and puts the focus in the form's first field; pressed again, it
// sends the open form.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    var target = event.target;
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
    var element = document.querySelector('[data-shortcut="' + event.key.toLowerCase() + '"]');
    if (!element) { return; }
    event.preventDefault();
    if (element.tagName === "SUMMARY") {
      var details = element.parentElement;
      // Pressed again on an open form (approving anyway, once the amount is typed): send it.
      var send = details.open && details.querySelector("button[type=submit]");
      if (send) { send.click(); return; }
      details.open = true;
      var field = details.querySelector("input:not([type=hidden]), select, textarea");
      if (field) { field.focus(); }
      return;
    }
    element.click();
  });
})();
