/* Offline-safe card sending on the phone.

   A card goes into an outbox in localStorage with a client id before it is
   sent. It leaves the outbox only when the server has answered that it is
   stored (the server stores each client id once, however often it arrives,
   and answers a resend like the first time). While the network is away, or
   the server is busy (408, 429, 5xx), the card waits and is sent again with
   back-off. A definitive refusal (any other 4xx) ends that draft: it moves to
   a "not sent" list with the server's reason and its text, kept until the
   participant dismisses it, and the drafts behind it go on.
   The card form may be re-rendered by the server (a new step, a new
   question): everything here looks the elements up when it needs them. */
(function () {
  'use strict';

  var main = document.getElementById('live');
  if (!main || !main.hasAttribute('data-code')) { return; }
  var code = main.getAttribute('data-code');
  var outboxKey = 'board-outbox-' + code;
  var draftKey = 'board-draft-' + code;
  var refusedKey = 'board-refused-' + code;
  var sending = false;
  var retryTimer = null;
  var retryDelay = 1000;
  var MAX_RETRY_DELAY = 15000;

  function $(id) { return document.getElementById(id); }
  function loadList(key) {
    try { return JSON.parse(localStorage.getItem(key) || '[]'); } catch (e) { return []; }
  }
  function load() { return loadList(outboxKey); }
  function save(items) { localStorage.setItem(outboxKey, JSON.stringify(items)); }
  function loadRefused() { return loadList(refusedKey); }
  function saveRefused(items) { localStorage.setItem(refusedKey, JSON.stringify(items)); }
  function maxLength() {
    var form = $('card-form');
    return form ? parseInt(form.getAttribute('data-max'), 10) || 120 : 120;
  }

  function newClientId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);  // works on plain http too, unlike randomUUID
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  // The step's colour: the one picked, or the only one it offers (a hidden field).
  function colour() {
    var chosen = document.querySelector('#card-form input[name=colour]:checked') ||
      document.querySelector('#card-form input[name=colour][type=hidden]');
    return chosen ? chosen.value : 'yellow';
  }

  // The three-line rule, measured as the server does (board/card_lines.py) with the
  // numbers it hands over in the form's data-lines: each word's width from the card
  // font's character widths, wrapped at the card's line width.
  var rule = null;
  var ruleSource = '';
  function lineRule() {
    var form = $('card-form');
    var source = form ? form.getAttribute('data-lines') || '' : '';
    if (source !== ruleSource) {
      ruleSource = source;
      rule = null;
      try { rule = source ? JSON.parse(source) : null; } catch (e) { rule = null; }
      if (rule) {
        rule.ems = {};
        Object.keys(rule.widths).forEach(function (width) {
          Array.from(rule.widths[width]).forEach(function (ch) { rule.ems[ch] = parseFloat(width); });
        });
      }
    }
    return rule;
  }
  function charEm(r, ch) {
    if (Object.prototype.hasOwnProperty.call(r.ems, ch)) { return r.ems[ch]; }
    return ch.codePointAt(0) >= r.wideFrom ? r.wide : r.other;
  }
  function pieces(r, word) {
    var widths = [], used = 0;
    Array.from(word).forEach(function (ch) {
      var size = charEm(r, ch);
      if (used && used + size > r.line) { widths.push(used); used = 0; }
      used += size;
    });
    widths.push(used);
    return widths;
  }
  function wrapped(r, line) {
    var count = 0, used = 0;
    line.split(/\s+/).filter(Boolean).forEach(function (word) {
      var size = Array.from(word).reduce(function (sum, ch) { return sum + charEm(r, ch); }, 0);
      if (count && used + r.space + size <= r.line) { used += r.space + size; return; }
      var parts = pieces(r, word);
      count += parts.length;
      used = parts[parts.length - 1];
    });
    return Math.max(count, 1);
  }
  function linesOf(text) {
    var r = lineRule();
    if (!r) { return 0; }
    return text.split('\n').map(function (l) { return l.trim(); }).filter(Boolean)
      .reduce(function (sum, line) { return sum + wrapped(r, line); }, 0);
  }
  function tooLong(text) {
    var r = lineRule();
    return Boolean(r) && linesOf(text) > r.lines;
  }

  function showFlash(html) {
    var flash = $('flash');
    if (flash) { flash.innerHTML = html; }
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // A draft as a small card: its text (always as text, never as HTML) and its state.
  function draftItem(item, state, stateClass) {
    var li = element('li', 'my-card');
    var card = element('div', 'card card--small card--' + item.colour);
    card.appendChild(element('p', 'card__text', item.text));
    card.appendChild(element('span', 'card__sent ' + stateClass, state));
    li.appendChild(card);
    return li;
  }

  function renderPending() {
    var list = $('pending');
    if (!list) { return; }
    list.innerHTML = '';
    loadRefused().forEach(function (item) {
      var li = draftItem(item, '✗ ' + list.getAttribute('data-not-sent'), 'card__sent--refused');
      li.classList.add('my-card--refused');
      li.appendChild(element('p', 'my-card__reason', item.reason));
      var dismiss = element('button', 'btn btn--small', list.getAttribute('data-dismiss'));
      dismiss.type = 'button';
      dismiss.setAttribute('data-dismiss-draft', item.id);
      li.appendChild(dismiss);
      list.appendChild(li);
    });
    load().forEach(function (item) {
      var state = '⏳ ' + list.getAttribute(sending ? 'data-sending' : 'data-pending');
      var li = draftItem(item, state, 'card__sent--pending');
      li.classList.add('my-card--pending');
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
    var hint = $('card-lines');
    if (hint) {
      var over = tooLong(textarea.value);
      hint.textContent = over ? hint.getAttribute('data-too-long') : '';
      hint.classList.toggle('counter--full', over);
      textarea.setAttribute('aria-invalid', over ? 'true' : 'false');
    }
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
    if (fresh && !(window.boardLive && window.boardLive.older(fresh, current))) {
      current.replaceWith(fresh);
      htmx.process(fresh);
    }
  }

  // Retry-After in seconds or as an HTTP date; null when absent or unreadable.
  function retryAfter(header) {
    if (!header) { return null; }
    var wait = /^\d+$/.test(header.trim()) ? parseInt(header, 10) * 1000 : Date.parse(header) - Date.now();
    return isNaN(wait) ? null : Math.max(0, Math.min(wait, 5 * 60000));
  }

  // Doubling back-off with jitter (a whole room must not retry in step), unless the
  // server said when to come back.
  function scheduleRetry(serverWait) {
    if (retryTimer) { return; }
    var wait = serverWait !== null && serverWait !== undefined
      ? serverWait
      : retryDelay * (0.75 + Math.random() / 2);
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, wait);
    retryDelay = Math.min(retryDelay * 2, MAX_RETRY_DELAY);
  }

  // Only a lost connection, a timeout, "too many" and server errors are worth a retry.
  function worthRetrying(status) {
    return status === 408 || status === 429 || status < 200 || status >= 500;
  }

  function dropFromOutbox(id) {
    save(load().filter(function (other) { return other.id !== id; }));
  }

  // The server's message (its refusal is an escaped HTML fragment for #flash), as text.
  function reasonOf(html) {
    var holder = document.createElement('template');
    holder.innerHTML = html;
    var text = holder.content.textContent.trim();
    return text || ($('pending') || main).getAttribute('data-refused') || '';
  }

  function refuse(item, html) {
    dropFromOutbox(item.id);
    var refused = loadRefused();
    refused.push({ id: item.id, text: item.text, colour: item.colour, reason: reasonOf(html) });
    saveRefused(refused);
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
      return response.text().then(function (html) {
        return { status: response.status, html: html, wait: retryAfter(response.headers.get('Retry-After')) };
      });
    }).then(function (result) {
      sending = false;
      if (result.status >= 200 && result.status < 300) {
        dropFromOutbox(item.id);
        swapMine(result.html);
        showFlash('');
        retryDelay = 1000;
        renderPending();
        flush();
      } else if (worthRetrying(result.status)) {
        showFlash(result.html);  // could not save now: keep it and try again
        renderPending();
        scheduleRetry(result.wait);
      } else {
        // Refused for good (closed step, empty text…): shown as not sent, with the
        // reason and the text, and the next draft goes on.
        refuse(item, result.html);
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
    if (tooLong(text)) { updateCounter(); textarea.focus(); return; }  // the hint says why
    var items = load();
    items.push({ id: newClientId(), text: text.slice(0, maxLength()), colour: colour(), at: Date.now() });
    save(items);
    textarea.value = '';
    updateCounter();
    renderPending();
    flush();
  });
  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('[data-dismiss-draft]') : null;
    if (!button) { return; }
    var id = button.getAttribute('data-dismiss-draft');
    saveRefused(loadRefused().filter(function (other) { return other.id !== id; }));
    renderPending();
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
