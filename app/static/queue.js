/* Dalili queue: new alerts without a reload.
   Every 20 s (data-poll-seconds) while the tab is visible, asks data-updates (the page's filters and
   the newest report time it shows) how many open incidents arrived since, and shows a polite banner
   "n new alerts — Show" whose link opens the most urgent of them (the answer's url): on a long queue
   it may not be on the first page. No polling in a hidden tab; a signed-out session
   (the answer is the sign-in page, not JSON) stops it. */
(function () {
  "use strict";
  var root = document.querySelector("[data-updates]");
  var banner = document.getElementById("new-alerts");
  if (!root || !banner || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-updates");
  var every = (parseInt(root.getAttribute("data-poll-seconds"), 10) || 20) * 1000;
  var timer = null;
  var stopped = false;

  function pause() {
    if (timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
  }

  function stop() {
    stopped = true;
    pause();
  }

  function show(answer) {
    if (!answer || !answer["new"]) {
      return;
    }
    banner.querySelector(".count").textContent = answer.text;
    if (answer.url) {
      banner.querySelector("a").setAttribute("href", answer.url);
    }
    banner.hidden = false;
  }

  function poll() {
    if (stopped || document.visibilityState !== "visible") {
      return;
    }
    window
      .fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") !== 0) {
          stop();
          return null;
        }
        return response.json();
      })
      .then(show)
      .catch(function () {
        /* offline for a moment: the next poll tries again */
      });
  }

  function start() {
    if (timer === null && !stopped) {
      timer = window.setInterval(poll, every);
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      poll();
      start();
    } else {
      pause();
    }
  });
  if (document.visibilityState === "visible") {
    start();
  }
})();
