/* OK-Corral and other grids: a tap places (or moves) my dot in the field.
   x and y run from -1 to 1, +/+ top right, as the server expects. */
(function () {
  'use strict';
  document.addEventListener('click', function (event) {
    var pad = event.target.closest && event.target.closest('.grid-pad[data-situation]');
    if (!pad || pad.classList.contains('grid-pad--closed')) { return; }
    var svg = pad.querySelector('svg');
    var box = svg.getBoundingClientRect();
    // The viewBox spans -1.15 … 1.15; the field itself -1 … 1.
    var x = ((event.clientX - box.left) / box.width) * 2.3 - 1.15;
    var y = -(((event.clientY - box.top) / box.height) * 2.3 - 1.15);
    if (Math.abs(x) > 1 || Math.abs(y) > 1) { return; }
    htmx.ajax('POST', pad.getAttribute('data-url'), {
      source: pad,
      target: '#mine',
      swap: 'outerHTML',
      values: {
        step_id: pad.getAttribute('data-step'),
        situation: pad.getAttribute('data-situation'),
        x: x.toFixed(4),
        y: y.toFixed(4)
      }
    });
  });
})();
