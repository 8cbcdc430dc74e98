/* Offline-safe card sending on the phone.

   A card goes into an outbox in localStorage with a client id before it is
   sent. It leaves the outbox only when the server has answered that it is
   stored (the server stores each client id once, however often it arrives).
   While the network is away the card waits and is sent again on reconnect. */
(function () {
  'use strict';

  var form = document.getElementById('card-form');
  var main = document.getElementById('live');
  if (!form || !main) { return; }
  var code = main.getAttribute('data-code');
  var outboxKey = 'board-outbox-' + code;
  var draftKey = 'board-draft-' + code;
  var textarea = document.getElementById('card-text');
  var counter = document.getElementById('card-counter');
  var preview = document.getElementById('card-preview');
  var pendingList = document.getElementById('pending');
  var max = parseInt(form.getAttribute('data-max'), 10) || 120;
  var sending = false;
  var retryTimer = null;
  var retryDelay = 1000;

  function load() {
    try { return JSON.parse(localStorage.getItem(outboxKey) || '[]'); } catch (e) { return []; }
  }
  function save(items) { localStorage.setItem(outboxKey, JSON.stringify(items)); }

  function newClientId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);  // works on plain http too, unlike randomUUID
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function colour() {
    var checked = form.querySelector('input[name=colour]:checked');
    return checked ? checked.value : 'yellow';
  }

  function showFlash(html) {
    var flash = document.getElementById('flash');
    if (flash) { flash.innerHTML = html; }
  }

  function renderPending() {
    var items = load();
    pendingList.innerHTML = '';
    items.forEach(function (item) {
      var li = document.createElement('li');
      li.className = 'my-card my-card--pending';
      var card = document.createElement('div');
      card.className = 'card card--small card--' + item.colour;
      var p = document.createElement('p');
      p.className = 'card__text';
      p.textContent = item.text;
      var state = document.createElement('span');
      state.className = 'card__sent card__sent--pending';
      state.textContent = '⏳ ' + pendingList.getAttribute(sending ? 'data-sending' : 'data-pending');
      card.appendChild(p);
      card.appendChild(state);
      li.appendChild(card);
      pendingList.appendChild(li);
    });
  }

  function updateCounter() {
    var length = textarea.value.length;
    counter.textContent = length + ' / ' + max;
    counter.classList.toggle('counter--full', length >= max);
    localStorage.setItem(draftKey, textarea.value);
  }

  function swapMyCards(html) {
    var current = document.getElementById('my-cards');
    if (!current) { return; }
    var holder = document.createElement('div');
    holder.innerHTML = html;
    var fresh = holder.querySelector('#my-cards');
    if (fresh) {
      current.replaceWith(fresh);
      htmx.process(fresh);
    }
  }

  function scheduleRetry() {
    if (retryTimer) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  }

  function flush() {
    if (sending) { return; }
    var items = load();
    if (!items.length) { return; }
    sending = true;
    renderPending();
    var item = items[0];
    var body = new URLSearchParams({ text: item.text, colour: item.colour, client_id: item.id });
    fetch('/w/' + code + '/cards', {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: { 'HX-Request': 'true' }
    }).then(function (response) {
      return response.text().then(function (html) { return { status: response.status, html: html }; });
    }).then(function (result) {
      sending = false;
      if (result.status === 200) {
        dropFromOutbox(item.id);
        swapMyCards(result.html);
        showFlash('');
        retryDelay = 1000;
        renderPending();
        flush();
      } else if (result.status === 429 || result.status >= 500) {
        showFlash(result.html);  // could not save: keep it and try again
        renderPending();
        scheduleRetry();
      } else {
        // Refused for good (closed step, too long…): give the text back to edit.
        dropFromOutbox(item.id);
        if (!textarea.value) { textarea.value = item.text; updateCounter(); }
        showFlash(result.html);
        renderPending();
        flush();
      }
    }).catch(function () {
      sending = false;
      renderPending();
      scheduleRetry();
    });
  }

  function dropFromOutbox(id) {
    save(load().filter(function (other) { return other.id !== id; }));
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = textarea.value.trim();
    if (!text) { textarea.focus(); return; }
    var items = load();
    items.push({ id: newClientId(), text: text.slice(0, max), colour: colour(), at: Date.now() });
    save(items);
    textarea.value = '';
    updateCounter();
    renderPending();
    flush();
  });

  form.addEventListener('change', function (event) {
    if (event.target.name === 'colour') { preview.className = 'card card-input card--' + colour(); }
  });
  textarea.addEventListener('input', updateCounter);
  textarea.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { form.requestSubmit(); }
  });

  window.addEventListener('online', flush);
  document.addEventListener('board:online', flush);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) { flush(); } });

  textarea.value = localStorage.getItem(draftKey) || '';
  updateCounter();
  renderPending();
  flush();
})();
