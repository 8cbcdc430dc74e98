/* Countdowns in server time: each [data-ends-at] (ms since the epoch) came with
   the server's clock [data-now] at render time, so a phone whose clock is off
   still shows the same seconds as the board. At zero it says so (and vibrates
   on phones where [data-vibrate] is set). */
(function () {
  'use strict';

  function format(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var minutes = Math.floor(total / 60);
    var seconds = total % 60;
    return minutes + ':' + (seconds < 10 ? '0' : '') + seconds;
  }

  function tick() {
    document.querySelectorAll('.countdown[data-ends-at]').forEach(function (el) {
      if (!el.hasAttribute('data-offset')) {
        // Difference between the server's clock and ours, fixed once per render.
        el.setAttribute('data-offset', String(Number(el.getAttribute('data-now')) - Date.now()));
      }
      var now = Date.now() + Number(el.getAttribute('data-offset'));
      var left = Number(el.getAttribute('data-ends-at')) - now;
      if (left > 0) {
        el.textContent = format(left);
        el.classList.remove('countdown--done');
        return;
      }
      el.textContent = el.getAttribute('data-done') || '0:00';
      if (!el.classList.contains('countdown--done')) {
        el.classList.add('countdown--done');
        if (el.hasAttribute('data-vibrate') && navigator.vibrate) { navigator.vibrate([300, 150, 300]); }
      }
    });
  }

  // SpeedMeet: buzz when the round or the phase changes (time to talk, time to move).
  var lastPhase = null;
  function phaseChanged() {
    var meet = document.querySelector('.meet[data-phase]');
    var phase = meet ? meet.getAttribute('data-phase') : null;
    if (phase && lastPhase && phase !== lastPhase && navigator.vibrate) { navigator.vibrate([400, 200, 400]); }
    lastPhase = phase;
  }

  setInterval(tick, 250);
  document.addEventListener('htmx:wsAfterMessage', function () { phaseChanged(); tick(); });
  document.addEventListener('htmx:afterSwap', tick);
  document.addEventListener('DOMContentLoaded', function () { phaseChanged(); tick(); });
})();
