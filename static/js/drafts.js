/* Offline-safe card sending on the phone.

   A card goes into an outbox in localStorage with a client id before it is
   sent. It leaves the outbox only when the server has answered that it is
   stored (the server stores each client id once, however often it arrives).
   While the network is away the card waits and is sent again on reconnect.
   The card form may be re-rendered by the server (a new step, a new
   question): everything here looks the elements up when it needs them. */
(function () {
  'use strict';

  var main = document.getElementById('live');
  if (!main || !main.hasAttribute('data-code')) { return; }
  var code = main.getAttribute('data-code');
  var outboxKey = 'board-outbox-' + code;
  var draftKey = 'board-draft-' + code;
  var sending = false;
  var retryTimer = null;
  var retryDelay = 1000;

  function $(id) { return document.getElementById(id); }
  function load() {
    try { return JSON.parse(localStorage.getItem(outboxKey) || '[]'); } catch (e) { return []; }
  }
  function save(items) { localStorage.setItem(outboxKey, JSON.stringify(items)); }
  function maxLength() {
    var form = $('card-form');
    return form ? parseInt(form.getAttribute('data-max'), 10) || 120 : 120;
  }

  function newClientId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);  // works on plain http too, unlike randomUUID
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function colour() {
    var checked = document.querySelector('#card-form input[name=colour]:checked');
    return checked ? checked.value : 'yellow';
  }

  function showFlash(html) {
    var flash = $('flash');
    if (flash) { flash.innerHTML = html; }
  }

  function renderPending() {
    var list = $('pending');
    if (!list) { return; }
    list.innerHTML = '';
    load().forEach(function (item) {
      var li = document.createElement('li');
      li.className = 'my-card my-card--pending';
      var card = document.createElement('div');
      card.className = 'card card--small card--' + item.colour;
      var p = document.createElement('p');
      p.className = 'card__text';
      p.textContent = item.text;
      var state = document.createElement('span');
      state.className = 'card__sent card__sent--pending';
      state.textContent = '⏳ ' + list.getAttribute(sending ? 'data-sending' : 'data-pending');
      card.appendChild(p);
      card.appendChild(state);
      li.appendChild(card);
      list.appendChild(li);
    });
  }

  function updateCounter() {
    var textarea = $('card-text');
    var counter = $('card-counter');
    if (!textarea || !counter) { return; }
    var length = textarea.value.length;
    counter.textContent = length + ' / ' + maxLength();
    counter.classList.toggle('counter--full', length >= maxLength());
    localStorage.setItem(draftKey, textarea.value);
  }

  function restoreDraft() {
    var textarea = $('card-text');
    if (textarea && !textarea.value) { textarea.value = localStorage.getItem(draftKey) || ''; }
    updateCounter();
    var preview = $('card-preview');
    if (preview) { preview.className = 'card card-input card--' + colour(); }
  }

  function swapMine(html) {
    var current = $('mine');
    if (!current) { return; }
    var holder = document.createElement('div');
    holder.innerHTML = html;
    var fresh = holder.querySelector('#mine');
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

  function dropFromOutbox(id) {
    save(load().filter(function (other) { return other.id !== id; }));
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
        swapMine(result.html);
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
        var textarea = $('card-text');
        if (textarea && !textarea.value) { textarea.value = item.text; updateCounter(); }
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

  document.addEventListener('submit', function (event) {
    if (event.target.id !== 'card-form') { return; }
    event.preventDefault();
    var textarea = $('card-text');
    var text = textarea.value.trim();
    if (!text) { textarea.focus(); return; }
    var items = load();
    items.push({ id: newClientId(), text: text.slice(0, maxLength()), colour: colour(), at: Date.now() });
    save(items);
    textarea.value = '';
    updateCounter();
    renderPending();
    flush();
  });
  document.addEventListener('change', function (event) {
    if (event.target.name === 'colour' && event.target.closest('#card-form')) { restoreDraft(); }
  });
  document.addEventListener('input', function (event) {
    if (event.target.id === 'card-text') { updateCounter(); }
  });
  document.addEventListener('keydown', function (event) {
    if (event.target.id === 'card-text' && event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      $('card-form').requestSubmit();
    }
  });

  window.addEventListener('online', flush);
  document.addEventListener('board:online', flush);
  document.addEventListener('htmx:wsAfterMessage', restoreDraft);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) { flush(); } });

  restoreDraft();
  renderPending();
  flush();
})();
