/* Zielscheibe: a tap in a sector places (or moves) my dot of that criterion; how far
   from the centre sets its ring (0, the centre, … rings - 1, the edge), as the server
   expects. The ring buttons under the target do the same for a keyboard, a screen
   reader or a finger that is not precise. Both are caught here, on the document, so a
   press right after #mine was swapped in (before htmx has processed it) still counts. */
(function () {
  'use strict';

  function send(input, source, criterion, ring) {
    htmx.ajax('POST', input.getAttribute('data-url'), {
      source: source,
      target: '#mine',
      swap: 'outerHTML',
      values: { step_id: input.getAttribute('data-step'), criterion: criterion, distance: ring }
    });
  }

  function tapped(event, pad) {
    var svg = pad.querySelector('svg');
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var at = point.matrixTransform(svg.getScreenCTM().inverse());  // in the target's radii
    var distance = Math.sqrt(at.x * at.x + at.y * at.y);
    if (distance > 1) { return; }
    var sectors = Number(pad.getAttribute('data-criteria'));
    var rings = Number(pad.getAttribute('data-rings'));
    // Clockwise from the top, as the sectors are drawn.
    var angle = Math.atan2(at.x, -at.y);
    if (angle < 0) { angle += 2 * Math.PI; }
    var criterion = Math.min(sectors - 1, Math.floor(angle / (2 * Math.PI / sectors)));
    send(pad.closest('.target-input'), pad, criterion, Math.min(rings - 1, Math.floor(distance * rings)));
  }

  document.addEventListener('click', function (event) {
    if (!event.target.closest) { return; }
    var button = event.target.closest('.target-input .ring-choice');
    if (button && !button.disabled) {
      send(button.closest('.target-input'), button, button.getAttribute('data-criterion'),
        button.getAttribute('data-distance'));
      return;
    }
    var pad = event.target.closest('.target-pad');
    if (pad && !pad.classList.contains('target-pad--closed')) { tapped(event, pad); }
  });
})();
