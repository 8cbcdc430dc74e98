/* A one-line answer's character counter ("12 / 80"): the field names its counter in
   data-counter, and its maxlength (the server's limit, rendered) is the total. */
(function () {
  'use strict';
  document.addEventListener('input', function (event) {
    var field = event.target;
    if (!field || !field.getAttribute || !field.getAttribute('data-counter')) { return; }
    var counter = document.getElementById(field.getAttribute('data-counter'));
    if (!counter) { return; }
    var most = Number(field.getAttribute('maxlength'));
    counter.textContent = field.value.length + ' / ' + most;
    counter.classList.toggle('counter--full', field.value.length >= most);
  });
})();
