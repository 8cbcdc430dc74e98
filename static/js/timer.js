/* Countdowns in server time: each [data-ends-at] (ms since the epoch) came with
   the server's clock [data-now] at render time, so a phone whose clock is off
   still shows the same seconds as the board. At zero it says so (and vibrates
   on phones where [data-vibrate] is set).

   On the board (a .timer[data-big]) the last minute and the first seconds after
   zero show large (data-phase="final" / "up"), and a board whose timer has
   [data-gong] plays a short gong at zero. Browsers start audio only after a
   gesture on the page: the first click or key on the board unlocks it; until
   then the timer shows a "sound on" button (CSS hides it once body[data-sound="on"]). */
(function () {
  'use strict';

  var FINAL_MS = 60 * 1000;   // the last minute shows large
  var UP_SHOWN_MS = 15 * 1000; // "time is up" stays large this long, then goes back small
  var LATE_MS = 5 * 1000;      // a board opened later than this after zero stays silent

  function format(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var minutes = Math.floor(total / 60);
    var seconds = total % 60;
    return minutes + ':' + (seconds < 10 ? '0' : '') + seconds;
  }

  // -- sound ---------------------------------------------------------------
  var audio = null;
  function unlock() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    if (!audio) { audio = new Context(); }
    if (audio.state === 'suspended') { audio.resume(); }
    document.body.setAttribute('data-sound', 'on');
  }

  // A bell-like gong, synthesised: a few inharmonic partials that fade out. Nothing is fetched.
  function gong() {
    if (!audio || audio.state !== 'running') { return false; }
    var start = audio.currentTime + 0.02;
    var out = audio.createGain();
    out.gain.value = 0.5;
    out.connect(audio.destination);
    [[1, 0.6, 3.5], [2.01, 0.25, 2.5], [2.76, 0.2, 2.0], [5.4, 0.08, 1.2]].forEach(function (p) {
      var osc = audio.createOscillator();
      var env = audio.createGain();
      osc.type = 'sine';
      osc.frequency.value = 196 * p[0];
      env.gain.setValueAtTime(0.0001, start);
      env.gain.exponentialRampToValueAtTime(p[1], start + 0.015);
      env.gain.exponentialRampToValueAtTime(0.0001, start + p[2]);
      osc.connect(env);
      env.connect(out);
      osc.start(start);
      osc.stop(start + p[2] + 0.05);
    });
    return true;
  }

  // Which countdowns (by their end) have rung, so a re-rendered timer does not ring twice.
  var rung = {};
  function ring(timer, endsAt, left) {
    if (!timer || !timer.hasAttribute('data-gong') || rung[endsAt]) { return; }
    rung[endsAt] = true;
    if (left < -LATE_MS) { return; }
    // What happened, for the trainer's eyes in the devtools and for the browser tests.
    document.body.setAttribute('data-gong-rang', gong() ? 'played' : 'muted');
  }

  // -- the countdowns --------------------------------------------------------
  // The large countdown starts below the join box, so the QR code and the code stay
  // readable for latecomers (a custom property: the CSP allows no inline style).
  function clearJoinBox(timer) {
    var join = document.querySelector('.board__join') || document.querySelector('.board__qr');
    var below = join ? join.getBoundingClientRect().bottom : 0;
    timer.style.setProperty('--join-bottom', Math.ceil(below) + 'px');
  }

  function phaseOf(left) {
    if (left > FINAL_MS) { return ''; }
    if (left > 0) { return 'final'; }
    return left > -UP_SHOWN_MS ? 'up' : '';
  }

  function tick() {
    document.querySelectorAll('.countdown[data-ends-at]').forEach(function (el) {
      if (!el.hasAttribute('data-offset')) {
        // Difference between the server's clock and ours, fixed once per render.
        el.setAttribute('data-offset', String(Number(el.getAttribute('data-now')) - Date.now()));
      }
      var now = Date.now() + Number(el.getAttribute('data-offset'));
      var endsAt = el.getAttribute('data-ends-at');
      var left = Number(endsAt) - now;
      var big = el.closest('.timer[data-big]');
      if (big) {
        var phase = phaseOf(left);
        if (phase) { big.setAttribute('data-phase', phase); } else { big.removeAttribute('data-phase'); }
        if (phase) { clearJoinBox(big); }
      }
      if (left > 0) {
        el.textContent = format(left);
        el.classList.remove('countdown--done');
        return;
      }
      el.textContent = el.getAttribute('data-done') || '0:00';
      if (!el.classList.contains('countdown--done')) {
        el.classList.add('countdown--done');
        if (el.hasAttribute('data-vibrate') && navigator.vibrate) { navigator.vibrate([300, 150, 300]); }
        ring(big, endsAt, left);
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

  function onBoard() { return document.querySelector('.timer[data-big]') !== null; }

  setInterval(tick, 250);
  document.addEventListener('htmx:wsAfterMessage', function () { phaseChanged(); tick(); });
  document.addEventListener('htmx:afterSwap', tick);
  document.addEventListener('DOMContentLoaded', function () { phaseChanged(); tick(); });
  // Any click or key on the board counts as the gesture the browser asks for.
  ['pointerdown', 'keydown'].forEach(function (type) {
    document.addEventListener(type, function () { if (onBoard()) { unlock(); } }, true);
  });
})();
