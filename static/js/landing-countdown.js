// Landing pages: keep the server-rendered countdowns ticking. Without this file the
// page still shows the time left when it was served, and the end date.
(function () {
  "use strict";
  var clocks = document.querySelectorAll("[data-countdown]");
  if (!clocks.length) return;
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var now = Date.now();
    clocks.forEach(function (el) {
      var left = Math.max(0, Math.floor((Date.parse(el.dataset.countdown) - now) / 1000));
      var parts = {
        days: Math.floor(left / 86400),
        hours: pad(Math.floor(left % 86400 / 3600)),
        minutes: pad(Math.floor(left % 3600 / 60)),
        seconds: pad(left % 60)
      };
      Object.keys(parts).forEach(function (name) {
        var part = el.querySelector('[data-part="' + name + '"]');
        if (part) part.textContent = parts[name];
      });
      if (left === 0) {
        var clock = el.querySelector(".lp-countdown-clock");
        var ended = el.querySelector(".lp-countdown-ended");
        if (clock) clock.hidden = true;
        if (ended) ended.hidden = false;
      }
    });
  }
  tick();
  setInterval(tick, 1000);
})();
