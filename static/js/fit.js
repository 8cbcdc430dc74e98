/* Keep the whole wall on the projector: shrink cards until nothing overflows. */
(function () {
  'use strict';
  function fit() {
    var wall = document.getElementById('board-wall');
    if (!wall) { return; }
    // Steps of 5 %, as a data attribute: the CSP forbids inline styles.
    var step = 20;
    wall.setAttribute('data-fit', step);
    while (wall.scrollHeight > wall.clientHeight + 2 && step > 7) {
      step -= 1;
      wall.setAttribute('data-fit', step);
    }
  }
  document.addEventListener('htmx:wsAfterMessage', fit);
  window.addEventListener('resize', fit);
  document.addEventListener('DOMContentLoaded', fit);
})();
