/* A phone's answers to a step go one after the other, and the last tap wins.
   Their containers (scale, mood, dots, grid) carry hx-sync="this:queue last": a tap
   while an answer is on its way waits for its reply, so the server gets them in the
   order tapped. htmx drops a waiting request whose form the reply has swapped away,
   though; so a reply that a later tap supersedes is not swapped in: that tap's is. */
(function () {
  'use strict';
  var taps = 0;
  document.addEventListener('htmx:confirm', function (event) {
    var etc = event.detail.etc;
    // A waiting request is confirmed again when it goes: it keeps its number.
    if (!etc || etc.tap || !event.detail.elt.closest('#mine [hx-sync]')) { return; }
    taps += 1;
    etc.tap = taps;
  });
  document.addEventListener('htmx:beforeSwap', function (event) {
    var etc = event.detail.etc;
    if (etc && etc.tap && etc.tap !== taps) { event.detail.shouldSwap = false; }
  });
})();
