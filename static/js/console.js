/* Trainer console: select a card or cluster (mouse, touch or keyboard), act on
   it in the tools panel, and drag cards between clusters (SortableJS).
   The wall is re-rendered by the server after every change; this script only
   keeps the selection and the drag handles alive across those swaps. */
(function () {
  'use strict';

  var main = document.getElementById('live');
  if (!main) { return; }
  var base = '/w/' + main.getAttribute('data-code') + '/t/';
  var cardTools = document.getElementById('card-tools');
  var clusterTools = document.getElementById('cluster-tools');
  var hint = document.getElementById('tools-hint');
  var selectedCard = null;
  var selectedCluster = null;
  var dragging = false;
  var missedFrame = false;
  var socket = null;

  function wall() { return document.getElementById('console-wall'); }
  function byData(name, value) {
    var root = wall();
    return root ? root.querySelector('[' + name + '="' + CSS.escape(value) + '"]') : null;
  }
  function cardElement(id) { return byData('data-card', id); }
  function clusterElements() {
    var root = wall();
    if (!root) { return []; }
    return Array.prototype.filter.call(root.querySelectorAll('.cluster[data-cluster]'), function (el) {
      return el.getAttribute('data-cluster') !== '';
    });
  }
  function textOf(el) {
    var p = el && el.querySelector('.card__text');
    return p ? p.textContent : '';
  }
  function short(text) { return text.length > 50 ? text.slice(0, 49) + '…' : text; }
  function option(value, label) {
    var o = document.createElement('option');
    o.value = value;
    o.textContent = label;
    return o;
  }

  function post(action, values) {
    htmx.ajax('POST', base + action, { source: '#tools', values: values, swap: 'none' });
  }

  function fillClusterOptions() {
    document.querySelectorAll('[data-cluster-options]').forEach(function (select) {
      var mode = select.getAttribute('data-cluster-options');
      var keep = select.value;
      select.innerHTML = '';
      if (mode === 'with-unsorted') {
        var unsorted = document.querySelector('#console-wall .cluster--unsorted .cluster__label');
        select.appendChild(option('', unsorted ? unsorted.textContent : '—'));
      }
      clusterElements().forEach(function (el) {
        var id = el.getAttribute('data-cluster');
        if (mode === 'others' && id === selectedCluster) { return; }
        select.appendChild(option(id, el.querySelector('.cluster__heading').textContent));
      });
      if (keep && select.querySelector('option[value="' + CSS.escape(keep) + '"]')) { select.value = keep; }
    });
  }

  function fillCardOptions() {
    document.querySelectorAll('[data-card-options]').forEach(function (select) {
      select.innerHTML = '';
      document.querySelectorAll('#console-wall .card[data-card]').forEach(function (el) {
        var id = el.getAttribute('data-card');
        if (id !== selectedCard) { select.appendChild(option(id, short(textOf(el)))); }
      });
    });
  }

  function markPressed() {
    document.querySelectorAll('#console-wall [aria-pressed="true"]').forEach(function (el) {
      el.setAttribute('aria-pressed', 'false');
    });
    var card = selectedCard && cardElement(selectedCard);
    if (card) { card.setAttribute('aria-pressed', 'true'); }
    var heading = selectedCluster && byData('data-select-cluster', selectedCluster);
    if (heading) { heading.setAttribute('aria-pressed', 'true'); }
  }

  function showCardTools(textChanged) {
    var card = selectedCard && cardElement(selectedCard);
    if (!card) { selectedCard = null; cardTools.hidden = true; return; }
    cardTools.hidden = false;
    cardTools.querySelectorAll('[data-card-id]').forEach(function (input) { input.value = selectedCard; });
    cardTools.querySelector('[data-selected-text]').textContent = textOf(card);
    var textarea = cardTools.querySelector('[data-selected-value]');
    if (textChanged || document.activeElement !== textarea) { textarea.value = textOf(card); }
    var stacked = cardTools.querySelector('[data-stacked]');
    var list = stacked.querySelector('ul');
    list.innerHTML = '';
    card.querySelectorAll('.card__under li').forEach(function (li) {
      var item = document.createElement('li');
      var label = document.createElement('span');
      label.textContent = li.textContent;
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn--small';
      button.textContent = list.getAttribute('data-unstack-label');
      button.addEventListener('click', function () { post('card-unstack', { card_id: li.getAttribute('data-card') }); });
      item.appendChild(label);
      item.appendChild(button);
      list.appendChild(item);
    });
    stacked.hidden = !list.children.length;
    var select = document.getElementById('move-target');
    var zone = card.closest('.cluster');
    if (zone && document.activeElement !== select) { select.value = zone.getAttribute('data-cluster'); }
  }

  function showClusterTools(headingChanged) {
    var heading = selectedCluster && byData('data-select-cluster', selectedCluster);
    if (!heading) { selectedCluster = null; clusterTools.hidden = true; return; }
    clusterTools.hidden = false;
    clusterTools.querySelectorAll('[data-cluster-id]').forEach(function (input) { input.value = selectedCluster; });
    var input = clusterTools.querySelector('[data-selected-value]');
    if (headingChanged || document.activeElement !== input) { input.value = heading.textContent; }
    var index = clusterElements().map(function (el) { return el.getAttribute('data-cluster'); }).indexOf(selectedCluster);
    clusterTools.querySelector('[data-index-left]').value = Math.max(0, index - 1);
    clusterTools.querySelector('[data-index-right]').value = index + 1;
  }

  function refresh() {
    fillClusterOptions();
    fillCardOptions();
    markPressed();
    showCardTools(false);
    showClusterTools(false);
    hint.hidden = Boolean(selectedCard || selectedCluster);
    makeSortable();
  }

  function selectCard(id, focusPanel) {
    selectedCard = selectedCard === id && !focusPanel ? null : id;
    selectedCluster = null;
    refresh();
    showCardTools(true);
    if (selectedCard && focusPanel) { document.getElementById('move-target').focus(); }
  }

  function selectCluster(id) {
    selectedCluster = selectedCluster === id ? null : id;
    selectedCard = null;
    refresh();
    showClusterTools(true);
  }

  function clearSelection() {
    var had = selectedCard;
    selectedCard = null;
    selectedCluster = null;
    refresh();
    var card = had && cardElement(had);
    if (card) { card.focus(); }
  }

  document.addEventListener('click', function (event) {
    var card = event.target.closest('#console-wall .card[data-card]');
    if (card) { selectCard(card.getAttribute('data-card'), false); return; }
    var heading = event.target.closest('#console-wall [data-select-cluster]');
    if (heading) { selectCluster(heading.getAttribute('data-select-cluster')); }
  });

  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && (selectedCard || selectedCluster)) { clearSelection(); return; }
    var card = event.target.closest && event.target.closest('#console-wall .card[data-card]');
    if (card && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      selectCard(card.getAttribute('data-card'), true);
    }
  });

  // After a keyboard move, give focus back to the moved card.
  document.addEventListener('htmx:afterRequest', function (event) {
    var form = event.detail.elt;
    if (!event.detail.successful || !form || !form.matches) { return; }
    if (form.matches('[data-reset]')) { form.reset(); }
  });

  // -- drag and drop ----------------------------------------------------
  function makeSortable() {
    if (typeof Sortable === 'undefined') { return; }
    document.querySelectorAll('#console-wall .dropzone').forEach(function (zone) {
      if (zone.sortable) { return; }
      zone.sortable = Sortable.create(zone, {
        group: 'cards',
        draggable: '.card',
        animation: 120,
        delayOnTouchOnly: true,
        delay: 120,
        onStart: function () { dragging = true; },
        onEnd: function (event) {
          dragging = false;
          var moved = event.from !== event.to || event.oldIndex !== event.newIndex;
          if (moved) {
            post('card-move', {
              card_id: event.item.getAttribute('data-card'),
              cluster_id: event.to.getAttribute('data-cluster'),
              index: event.newIndex
            });
          }
          if (missedFrame && socket) {
            missedFrame = false;
            socket.send(JSON.stringify({ type: 'resync' }));
          }
        }
      });
    });
  }

  // A swap in the middle of a drag would pull the card from under the pointer:
  // hold updates while dragging and ask for a full render afterwards.
  document.addEventListener('htmx:wsBeforeMessage', function (event) {
    socket = event.detail.socketWrapper;
    if (dragging) {
      event.preventDefault();
      missedFrame = true;
    }
  });
  document.addEventListener('htmx:wsOpen', function (event) { socket = event.detail.socketWrapper; });
  document.addEventListener('htmx:wsAfterMessage', refresh);
  document.addEventListener('DOMContentLoaded', refresh);
})();
