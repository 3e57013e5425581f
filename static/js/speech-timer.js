// The speech countdown of the meeting screen (progressive enhancement: without JavaScript
// the page shows when the speech started and the charter's limit).
// Each [data-speech-timer] carries data-elapsed (seconds spoken when the page was made),
// data-limit (seconds allowed) and data-over-label (the words for "over time").
(function () {
  "use strict";
  var timers = document.querySelectorAll("[data-speech-timer]");
  if (!timers.length) {
    return;
  }
  var loaded = Date.now();
  function clock(seconds) {
    var s = Math.abs(seconds);
    var m = Math.floor(s / 60);
    var r = s % 60;
    return m + ":" + (r < 10 ? "0" : "") + r;
  }
  function tick() {
    var passed = Math.floor((Date.now() - loaded) / 1000);
    timers.forEach(function (el) {
      var elapsed = parseInt(el.dataset.elapsed, 10) + passed;
      var left = parseInt(el.dataset.limit, 10) - elapsed;
      if (left >= 0) {
        el.textContent = clock(left);
        el.classList.remove("over");
      } else {
        el.textContent = el.dataset.overLabel + " +" + clock(left);
        el.classList.add("over");
      }
    });
  }
  tick();
  window.setInterval(tick, 1000);
})();
