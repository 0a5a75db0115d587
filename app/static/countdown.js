/* Dalili: live countdowns to review deadlines.
   Every <time data-countdown datetime="…"> inside the element carrying data-now is rewritten each
   second: "due in 0:12:04", or "overdue by 1:03:00" (class "overdue", shown in red). The wording comes
   from the page (data-due, data-overdue, data-days), so it is in the page's language. The server's
   clock is the reference: a field laptop whose clock is wrong still counts down correctly. */
(function () {
  "use strict";
  var root = document.querySelector("[data-now]");
  if (!root) {
    return;
  }
  var offset = Date.parse(root.getAttribute("data-now")) - Date.now();
  if (isNaN(offset)) {
    offset = 0;
  }
  var dueText = root.getAttribute("data-due");
  var overdueText = root.getAttribute("data-overdue");
  var daysText = root.getAttribute("data-days");

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function clock(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400);
    s -= d * 86400;
    var h = Math.floor(s / 3600);
    s -= h * 3600;
    var m = Math.floor(s / 60);
    s -= m * 60;
    var t = h + ":" + pad(m) + ":" + pad(s);
    return d ? daysText.replace("{d}", String(d)).replace("{t}", t) : t;
  }

  function tick() {
    var now = Date.now() + offset;
    var clocks = root.querySelectorAll("time[data-countdown]");
    for (var i = 0; i < clocks.length; i += 1) {
      var el = clocks[i];
      var left = Date.parse(el.getAttribute("datetime")) - now;
      if (isNaN(left)) {
        continue;
      }
      var late = left < 0;
      var text = (late ? overdueText : dueText).replace("{t}", clock(left));
      if (el.textContent !== text) {
        el.textContent = text;
      }
      el.classList.toggle("overdue", late);
    }
  }

  tick();
  window.setInterval(tick, 1000);
})();
