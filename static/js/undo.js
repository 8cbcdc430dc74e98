/* Ctrl+Z (Cmd+Z on a Mac) in the console presses its undo button (templates/console/_undo.html):
   the server takes the step's latest action back on every screen at once.
   In a text field the browser's own text undo stays: the shortcut is not taken there. */
(function () {
  'use strict';

  function typing(el) {
    if (!el || !el.closest) { return false; }
    return Boolean(el.closest('input, textarea, select, [contenteditable]:not([contenteditable="false"])'));
  }

  document.addEventListener('keydown', function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) { return; }
    if (event.key !== 'z' && event.key !== 'Z') { return; }
    if (typing(event.target)) { return; }
    var button = document.querySelector('[data-undo]');
    if (!button || button.disabled) { return; }
    event.preventDefault();
    button.click();
  });
})();
