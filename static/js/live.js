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
  // A section that carries the seq it was rendered at (data-seq: a phone's own, #mine) is
  // never replaced by an older one. An HTTP answer and a frame can overtake each other:
  // the answer to a card sent while the frame of the trainer's change just before is
  // still on its way arrives first, then that frame, rendered before the card existed.
  // (An answer swapped by htmx into #mine needs no check: a newer frame has replaced the
  // element it targets, so it lands nowhere.)
  function seqOf(element) {
    var seq = element && element.getAttribute ? parseInt(element.getAttribute('data-seq'), 10) : NaN;
    return isNaN(seq) ? null : seq;
  }
  function older(fresh, current) {
    var freshSeq = seqOf(fresh), currentSeq = seqOf(current);
    return freshSeq !== null && currentSeq !== null && freshSeq < currentSeq;
  }
  window.boardLive = { older: older };
  document.addEventListener('htmx:oobBeforeSwap', function (event) {
    var fragment = event.detail.fragment;
    var fresh = fragment && fragment.nodeType === 11 ? fragment.firstElementChild : fragment;
    if (older(fresh, event.detail.target)) {
      event.detail.shouldSwap = false;
    }
  });
  // A card frame (board/live/fragments.py) holds only the cards that changed, made from
  // one wall: a screen showing another (it loaded or resynced in between, or missed a
  // frame) applies none of it and asks for everything. So does one that found a card or
  // a cluster missing where a card frame put a card.
  var WALL_FRAME = /<span id="wall-version" data-base="([^"]*)" data-version="([^"]*)"/;
  var socket = null;
  function resync() {
    if (socket) { socket.send(JSON.stringify({ type: 'resync' })); }
  }
  function wallVersion() {
    var marker = document.getElementById('wall-version');
    return marker ? marker.getAttribute('data-version') : null;
  }
  document.addEventListener('htmx:wsOpen', function (event) { socket = event.detail.socketWrapper; });
  document.addEventListener('htmx:wsBeforeMessage', function (event) {
    socket = event.detail.socketWrapper;
    var frame = WALL_FRAME.exec(event.detail.message);
    if (frame && frame[1] !== wallVersion()) {
      event.preventDefault();
      resync();
    }
  });
  document.addEventListener('htmx:wsAfterMessage', function () {
    var marker = document.getElementById('wall-version');
    if (marker) { marker.removeAttribute('data-base'); }  // as a full render has it
  });
  document.addEventListener('htmx:oobErrorNoTarget', function (event) {
    if (/^#cards?-/.test(event.detail.target || '')) { resync(); }
  });
  // A successful action clears an old error message.
  document.addEventListener('htmx:afterRequest', function (event) {
    var flash = document.getElementById('flash');
    if (flash && event.detail.successful && event.detail.xhr.status === 204) { flash.innerHTML = ''; }
  });
})();
