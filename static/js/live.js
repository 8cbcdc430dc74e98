/* Live connection: reconnect quickly, tell the server the last sequence seen,
   and show the connection state. Loaded after htmx and its ws extension. */
(function () {
  'use strict';

  // At most about 8 s between attempts, so a restarted server is found soon.
  htmx.config.wsReconnectDelay = function (retry) {
    return Math.min(8000, 500 * Math.pow(2, Math.min(retry, 4))) * (0.5 + Math.random() / 2);
  };

  var createSocket = htmx.createWebSocket;
  htmx.createWebSocket = function (url) {
    var seqElement = document.getElementById('seq');
    var seq = seqElement ? seqElement.getAttribute('data-seq') : '';
    var clean = url.replace(/([?&])seq=[^&]*(&|$)/, '$1').replace(/[?&]$/, '');
    return createSocket(clean + (clean.indexOf('?') < 0 ? '?' : '&') + 'seq=' + encodeURIComponent(seq));
  };

  function setState(state) {
    var conn = document.getElementById('conn');
    if (!conn) { return; }
    conn.className = 'conn conn--' + state;
    var text = conn.querySelector('.conn__text');
    var body = document.body;
    if (text) {
      text.textContent = state === 'open' ? body.getAttribute('data-online') : body.getAttribute('data-offline');
    }
    document.documentElement.setAttribute('data-connection', state);
  }

  document.addEventListener('htmx:wsConnecting', function () {
    if (document.documentElement.getAttribute('data-connection') !== 'open') { setState('connecting'); }
  });
  document.addEventListener('htmx:wsOpen', function () {
    setState('open');
    document.dispatchEvent(new CustomEvent('board:online'));
  });
  document.addEventListener('htmx:wsClose', function () { setState('closed'); });
  document.addEventListener('htmx:sendError', function () {
    var flash = document.getElementById('flash');
    if (flash) {
      flash.innerHTML = '';
      var p = document.createElement('p');
      p.className = 'flash flash--error';
      p.setAttribute('role', 'alert');
      p.textContent = document.body.getAttribute('data-offline');
      flash.appendChild(p);
    }
  });
  // A successful action clears an old error message.
  document.addEventListener('htmx:afterRequest', function (event) {
    var flash = document.getElementById('flash');
    if (flash && event.detail.successful && event.detail.xhr.status === 204) { flash.innerHTML = ''; }
  });
})();
