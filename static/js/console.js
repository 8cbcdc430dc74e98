/* Trainer console: cluster cards fast with pointer, touch or keys.

   Select a card (click, tap, or Tab into the tray and move with the arrows), then
   click a cluster or press its number (1–9; 0 sends it back to the tray, N starts a
   new cluster with it). After every move the next unsorted card is selected and
   focused, so a room's cards are sorted with one key or one click each. Cards can
   also be dragged (SortableJS). The server sends the cards that changed (the whole wall
   when its layout changed); this script keeps the selection, the focus and the panes'
   scroll positions across those swaps, and the tools panel in step with the selection. */
(() => {
  'use strict';

  const main = document.getElementById('live');
  if (!main) { return; }
  // A group console (templates/team/page.html) posts to its team's actions instead.
  const base = main.getAttribute('data-actions') || `/w/${main.getAttribute('data-code')}/t/`;
  const cardTools = document.getElementById('card-tools');
  const clusterTools = document.getElementById('cluster-tools');
  const hint = document.getElementById('tools-hint');
  const COMPACT_KEY = 'board.console.compact';
  let selectedCard = null;
  let selectedCluster = null;
  let dragging = false;
  let missedFrame = false;
  let socket = null;
  let beforeSwap = null;
  let queue = Promise.resolve();

  // -- the wall's parts ---------------------------------------------------
  const wall = () => document.getElementById('console-wall');
  const all = (selector) => {
    const root = wall();
    return root ? Array.from(root.querySelectorAll(selector)) : [];
  };
  const one = (selector) => {
    const root = wall();
    return root ? root.querySelector(selector) : null;
  };
  const quoted = (value) => `"${CSS.escape(value)}"`;
  // A top card only: a stacked card's <li> carries data-card too, and is not selectable.
  const cardElement = (id) => (id ? one(`.card[data-card=${quoted(id)}]`) : null);
  const trayCards = () => all('.tray .card[data-card]:not(.card--leaving)');
  const targets = () => all('.cluster[data-target]');
  const zoneOf = (clusterId) => one(`.dropzone[data-cluster=${quoted(clusterId)}]`);
  const textOf = (el) => {
    const p = el && el.querySelector('.card__text');
    return p ? p.textContent : '';
  };
  const short = (text) => (text.length > 50 ? `${text.slice(0, 49)}…` : text);
  const option = (value, label) => {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = label;
    return o;
  };
  const headingOf = (clusterEl) => {
    const name = clusterEl.querySelector('.cluster__name');
    return name ? name.textContent : '';
  };

  // -- talking to the server ----------------------------------------------
  // One request after the other, in the order the trainer acted: quick key presses
  // must neither overtake nor replace each other (htmx would drop queued requests).
  function send(action, values) {
    const body = new URLSearchParams(values);
    queue = queue.then(() => fetch(base + action, { method: 'POST', body, credentials: 'same-origin' })
      .then((response) => (response.ok ? null : response.text().then(refused)))
      .catch(() => resync()));
    return queue;
  }

  function refused(html) {
    const flash = document.getElementById('flash');
    if (flash) { flash.innerHTML = html; }  // our own server's escaped message
    fit();
    resync();  // undo what was shown ahead of the server
  }

  function resync() {
    if (socket) { socket.send(JSON.stringify({ type: 'resync' })); }
  }

  // -- the tools panel ------------------------------------------------------
  function fillClusterOptions() {
    document.querySelectorAll('[data-cluster-options]').forEach((select) => {
      const mode = select.getAttribute('data-cluster-options');
      const keep = select.value;
      select.innerHTML = '';
      if (mode === 'with-unsorted') {
        const label = one('.tray .cluster__label');
        select.appendChild(option('', label ? label.textContent : '—'));
      }
      targets().forEach((el, i) => {
        const id = el.getAttribute('data-target');
        if (mode === 'others' && id === selectedCluster) { return; }
        select.appendChild(option(id, `${i + 1}. ${headingOf(el)}`));
      });
      if (keep && select.querySelector(`option[value=${quoted(keep)}]`)) { select.value = keep; }
    });
  }

  function fillCardOptions() {
    document.querySelectorAll('[data-card-options]').forEach((select) => {
      select.innerHTML = '';
      all('.card[data-card]').forEach((el) => {
        const id = el.getAttribute('data-card');
        if (id !== selectedCard) { select.appendChild(option(id, short(textOf(el)))); }
      });
    });
  }

  function showCardTools(textChanged) {
    const card = cardElement(selectedCard);
    // A card that was stacked, merged away or deleted is no longer selected: no empty panel.
    if (!card) { selectedCard = null; cardTools.hidden = true; return; }
    cardTools.hidden = false;
    cardTools.querySelectorAll('[data-card-id]').forEach((input) => { input.value = selectedCard; });
    cardTools.querySelector('[data-selected-text]').textContent = textOf(card);
    const textarea = cardTools.querySelector('[data-selected-value]');
    // A group console has no wording fix (the trainer's alone).
    if (textarea && (textChanged || document.activeElement !== textarea)) { textarea.value = textOf(card); }
    const stacked = cardTools.querySelector('[data-stacked]');
    const list = stacked.querySelector('ul');
    list.innerHTML = '';
    card.querySelectorAll('.card__under li').forEach((li) => {
      const item = document.createElement('li');
      const label = document.createElement('span');
      label.textContent = li.textContent;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn--small';
      button.textContent = list.getAttribute('data-unstack-label');
      button.addEventListener('click', () => send('card-unstack', { card_id: li.getAttribute('data-card') }));
      item.append(label, button);
      list.appendChild(item);
    });
    stacked.hidden = !list.children.length;
    const select = document.getElementById('move-target');
    const zone = card.closest('.dropzone');
    if (zone && document.activeElement !== select) { select.value = zone.getAttribute('data-cluster'); }
  }

  function showClusterTools(headingChanged) {
    const el = selectedCluster && one(`.cluster[data-target=${quoted(selectedCluster)}]`);
    if (!el) { selectedCluster = null; clusterTools.hidden = true; return; }
    clusterTools.hidden = false;
    clusterTools.querySelectorAll('[data-cluster-id]').forEach((input) => { input.value = selectedCluster; });
    const input = clusterTools.querySelector('[data-selected-value]');
    if (headingChanged || document.activeElement !== input) { input.value = headingOf(el); }
    const index = targets().indexOf(el);
    clusterTools.querySelector('[data-index-left]').value = Math.max(0, index - 1);
    clusterTools.querySelector('[data-index-right]').value = index + 1;
  }

  function markPressed() {
    all('[aria-pressed="true"]').forEach((el) => el.setAttribute('aria-pressed', 'false'));
    const card = cardElement(selectedCard);
    if (card) { card.setAttribute('aria-pressed', 'true'); }
    const edit = selectedCluster && one(`[data-select-cluster=${quoted(selectedCluster)}]`);
    if (edit) { edit.setAttribute('aria-pressed', 'true'); }
    const root = wall();
    if (root) { root.classList.toggle('wall--carrying', Boolean(card)); }
  }

  // -- roving tabindex: one Tab stop per pane, arrows inside -----------------
  const paneItems = (pane) => Array.from(pane.querySelectorAll(
    pane.getAttribute('data-pane') === 'tray'
      ? '.card[data-card]'
      : '.cluster__heading, .cluster__edit, .cluster .card[data-card], [data-new-cluster]'));

  function rove() {
    all('[data-pane]').forEach((pane) => {
      const items = paneItems(pane);
      const active = items.find((el) => el === document.activeElement)
        || items.find((el) => el.getAttribute('aria-pressed') === 'true' && el.matches('.card'))
        || items[0];
      items.forEach((el) => { el.tabIndex = el === active ? 0 : -1; });
    });
  }

  // Focus ``el`` as its pane's one Tab stop and, unless told not to, scroll it into view.
  function focusItem(el, scroll = true) {
    if (!el) { return; }
    const pane = el.closest('[data-pane]');
    if (pane) { paneItems(pane).forEach((item) => { item.tabIndex = item === el ? 0 : -1; }); }
    el.focus({ preventScroll: true });
    if (scroll) { el.scrollIntoView({ block: 'nearest', inline: 'nearest' }); }
  }

  // The item an arrow key leads to: left/right step through the pane in reading order,
  // up/down go to the nearest item in the row above or below.
  function arrowTarget(item, key) {
    const items = paneItems(item.closest('[data-pane]'));
    const i = items.indexOf(item);
    if (key === 'ArrowLeft') { return items[i - 1]; }
    if (key === 'ArrowRight') { return items[i + 1]; }
    const from = item.getBoundingClientRect();
    const down = key === 'ArrowDown';
    let best = null;
    let bestScore = Infinity;
    items.forEach((el) => {
      const r = el.getBoundingClientRect();
      const dy = down ? r.top - from.bottom : from.top - r.bottom;
      if (el === item || dy < -2) { return; }
      const score = dy * 4 + Math.abs(r.left - from.left);
      if (score < bestScore) { best = el; bestScore = score; }
    });
    return best || items[down ? i + 1 : i - 1];
  }

  // -- selection --------------------------------------------------------------
  // The sorter (and the agenda beside it) fill the screen below the step and the
  // header: tell the CSS where they start.
  function fit() {
    const body = document.querySelector('.console__body');
    if (!body) { return; }
    const top = (el) => `${Math.round(el.getBoundingClientRect().top + window.scrollY)}px`;
    main.style.setProperty('--body-top', top(body));
    main.style.setProperty('--layout-top', top(body.closest('.console__layout')));
  }

  function refresh() {
    fit();
    applyCompact();
    fillClusterOptions();
    fillCardOptions();
    showCardTools(false);
    showClusterTools(false);
    markPressed();
    rove();
    hint.hidden = Boolean(selectedCard || selectedCluster);
    makeSortable();
  }

  function selectCard(id) {
    selectedCard = id;
    selectedCluster = null;
    refresh();
    showCardTools(true);
  }

  function selectCluster(id) {
    selectedCluster = selectedCluster === id ? null : id;
    selectedCard = null;
    refresh();
    showClusterTools(true);
  }

  function clearSelection() {
    const card = cardElement(selectedCard);
    selectedCard = null;
    selectedCluster = null;
    refresh();
    if (card) { focusItem(card); }
  }

  // The card to work on next: the one after ``card`` in the tray (or before it, at
  // the end); for a card from a cluster, the tray's first.
  function nextUnsorted(card) {
    const tray = trayCards();
    const i = tray.indexOf(card);
    if (i < 0) { return tray[0] || null; }
    return tray[i + 1] || tray[i - 1] || null;
  }

  // Selects the next unsorted card and focuses it, or, with the tray empty, the cluster.
  function goOn(next, fallback) {
    selectedCard = next ? next.getAttribute('data-card') : null;
    selectedCluster = null;
    refresh();
    showCardTools(true);
    focusItem(next || fallback);
  }

  // Moves the selected card (clusterId '' : back to the tray), shown at once and
  // confirmed by the server's next render.
  function moveSelected(clusterId) {
    const card = cardElement(selectedCard);
    const zone = zoneOf(clusterId);
    if (!card || !zone) { return; }
    const next = nextUnsorted(card);
    zone.appendChild(card);
    send('card-move', { card_id: card.getAttribute('data-card'), cluster_id: clusterId });
    goOn(next === card ? null : next, zone.closest('.cluster') && zone.closest('.cluster').querySelector('.cluster__heading'));
  }

  function moveToNumber(n) {
    const target = targets()[n - 1];
    if (target) { moveSelected(target.getAttribute('data-target')); }
  }

  function newClusterWithSelected() {
    const card = cardElement(selectedCard);
    if (!card) { return; }
    const heading = document.getElementById('new-heading');
    const next = nextUnsorted(card);
    send('cluster-new', { card_id: card.getAttribute('data-card'), heading: heading.value });
    heading.value = '';
    card.classList.add('card--leaving');  // gone from the tray once the server's render arrives
    goOn(next, one('[data-new-cluster]'));
  }

  // -- pointer ------------------------------------------------------------------
  // What a click or tap on the wall does: select a card, move the selected card into
  // a cluster (or back to the tray), start a new cluster with it, or pick a cluster
  // to edit. Returns whether it did something.
  function act(target) {
    if (!target.closest('#console-wall')) { return false; }
    const edit = target.closest('[data-select-cluster]');
    if (edit) { selectCluster(edit.getAttribute('data-select-cluster')); return true; }
    const card = target.closest('.card[data-card]');
    if (card) {
      const id = card.getAttribute('data-card');
      if (id === selectedCard) { clearSelection(); } else { selectCard(id); }
      return true;
    }
    if (target.closest('[data-new-cluster]')) { newClusterWithSelected(); return true; }
    const cluster = target.closest('.cluster[data-target]');
    if (cluster && selectedCard) { moveSelected(cluster.getAttribute('data-target')); return true; }
    const inCluster = cardElement(selectedCard) && !cardElement(selectedCard).closest('.tray');
    if (target.closest('.tray') && inCluster) { moveSelected(''); return true; }
    if (cluster) { selectCluster(cluster.getAttribute('data-target')); return true; }
    return false;
  }

  // A mouse acts on press, not on release: the server's render of the last move can
  // replace the wall between press and release, and the click would then be lost.
  // Touch keeps the tap (a press may start a scroll); keys keep the button's click.
  let pressed = false;
  document.addEventListener('pointerdown', (event) => {
    pressed = false;
    if (event.pointerType !== 'mouse' || event.button !== 0) { return; }
    const onCard = event.target.closest('.card[data-card]');
    pressed = act(event.target);
    // Keep the focus on the card selected next (a card takes the focus it is given).
    if (pressed && !onCard) { event.preventDefault(); }
  });
  document.addEventListener('click', (event) => {
    if (pressed && event.detail > 0) { pressed = false; return; }
    act(event.target);
  });

  // The page's first Tab stop leads straight to the cards: to the tray's card (or the clusters).
  document.addEventListener('click', (event) => {
    if (!event.target.closest('[data-skip-to-cards]')) { return; }
    const stop = one('[data-pane="tray"] [tabindex="0"]') || one('[data-pane] [tabindex="0"]');
    if (!stop) { return; }
    event.preventDefault();
    focusItem(stop);
    if (stop.matches('.tray .card')) { selectCard(stop.getAttribute('data-card')); }
  });

  // Keyboard focus selects a tray card (selection follows focus, like a list box);
  // a mouse click selects through the click handler above.
  document.addEventListener('focusin', (event) => {
    const card = event.target.closest && event.target.closest('#console-wall .tray .card[data-card]');
    if (card && card.matches(':focus-visible') && card.getAttribute('data-card') !== selectedCard) {
      selectCard(card.getAttribute('data-card'));
    }
  });

  // -- keys -----------------------------------------------------------------------
  const ARROWS = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'];

  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
    const target = event.target;
    if (target.closest && target.closest('dialog[open]')) { return; }
    if (event.key === 'Escape' && (selectedCard || selectedCluster)) { clearSelection(); return; }
    if (target.closest && target.closest('input, textarea, select, [contenteditable]')) { return; }
    const item = target.closest && target.closest('#console-wall [data-pane] [tabindex]');
    if (item && ARROWS.includes(event.key)) {
      event.preventDefault();
      focusItem(arrowTarget(item, event.key));
      return;
    }
    const card = target.closest && target.closest('#console-wall .card[data-card]');
    if (card && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      selectCard(card.getAttribute('data-card'));
      return;
    }
    if (!selectedCard) { return; }
    if (/^[1-9]$/.test(event.key)) { event.preventDefault(); moveToNumber(Number(event.key)); }
    else if (event.key === '0') { event.preventDefault(); moveSelected(''); }
    else if (event.key === 'n' || event.key === 'N') { event.preventDefault(); newClusterWithSelected(); }
  });

  // The move form (a select, for those who prefer it) moves the same way as a key.
  document.addEventListener('submit', (event) => {
    if (!event.target.matches('[data-move-form]')) { return; }
    event.preventDefault();
    moveSelected(document.getElementById('move-target').value);
  });

  document.addEventListener('htmx:afterRequest', (event) => {
    const form = event.detail.elt;
    if (!event.detail.successful || !form || !form.matches) { return; }
    if (form.matches('[data-reset]')) { form.reset(); }
    // A stacked card lives on under the card it went onto: show that one.
    if (form.matches('[data-stack-form]')) { selectCard(form.elements.onto_id.value); }
  });

  // -- Ähnliche Karten (#suggestions, fetched over HTTP: board.suggestions) ----------------
  // Asked anew after every frame with the wall in it (whole or a card frame), unless the
  // trainer is changing a suggestion (a box unticked, a heading typed): what she did
  // stays until her next tap in the panel, which asks anew either way. One question at
  // a time: a frame during one asks again after it (htmx would drop a request queued on
  // the panel its answer replaces, and the panel would show an older wall).
  const WALL_IN_FRAME = /id="(console-wall|wall-version)"/;
  const suggestions = () => document.getElementById('suggestions');
  // The element that asked (its answer may have replaced it: htmx then tells an ancestor).
  const inPanel = (detail) => {
    const elt = (detail.requestConfig && detail.requestConfig.elt) || detail.elt;
    return elt && elt.closest && elt.closest('#suggestions');
  };
  let asking = false;
  let askAgain = false;
  function askSuggestions() {
    const panel = suggestions();
    if (!panel) { return; }
    if (asking) { askAgain = true; return; }
    htmx.trigger(panel, 'board:wall');
  }
  document.addEventListener('htmx:wsAfterMessage', (event) => {
    const panel = suggestions();
    if (!panel || !WALL_IN_FRAME.test(event.detail.message || '')) { return; }
    if (!panel.hasAttribute('data-edited')) { askSuggestions(); }
  });
  document.addEventListener('input', (event) => {
    const panel = event.target.closest && event.target.closest('#suggestions');
    if (panel) { panel.setAttribute('data-edited', ''); }
  });
  document.addEventListener('htmx:beforeRequest', (event) => {
    if (inPanel(event.detail) && event.detail.requestConfig.verb === 'get') { asking = true; }
  });
  document.addEventListener('htmx:afterRequest', (event) => {
    if (!inPanel(event.detail)) { return; }
    if (event.detail.requestConfig.verb === 'get') {
      asking = false;
      if (askAgain) { askAgain = false; askSuggestions(); }
      return;
    }
    suggestions().removeAttribute('data-edited');
    askSuggestions();  // accepted (or refused as out of date): the panel as the wall is now
  });

  // -- compact cards ----------------------------------------------------------------
  // "auto" (the server draws cards small from a count on), or the trainer's choice.
  function applyCompact() {
    const sorter = one('[data-sorter]');
    const toggle = document.querySelector('[data-compact-toggle]');
    if (!sorter || !toggle) { return; }
    const choice = localStorage.getItem(COMPACT_KEY);
    const count = one('#console-count');  // kept up by card frames, unlike the sorter
    const cards = count ? Number(count.getAttribute('data-count')) : 0;
    const auto = cards >= Number(sorter.getAttribute('data-compact-from'));
    const compact = choice === null ? auto : choice === 'on';
    sorter.classList.toggle('sorter--compact', compact);
    toggle.setAttribute('aria-pressed', String(compact));
  }

  document.addEventListener('click', (event) => {
    const toggle = event.target.closest('[data-compact-toggle]');
    if (!toggle) { return; }
    localStorage.setItem(COMPACT_KEY, toggle.getAttribute('aria-pressed') === 'true' ? 'off' : 'on');
    applyCompact();
  });

  // -- links: copy, QR code -----------------------------------------------------------
  function copied(ok) {
    const status = document.querySelector('.console__copied');
    status.textContent = status.getAttribute(ok ? 'data-copied' : 'data-copy-failed');
    status.classList.add('console__copied--shown');
    clearTimeout(copied.timer);
    copied.timer = setTimeout(() => status.classList.remove('console__copied--shown'), 4000);
  }

  // The clipboard API needs a secure page (https or localhost); on a plain-http LAN
  // address, the older execCommand copy from a selected, unseen field still works.
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(() => copied(true), () => copied(legacyCopy(text)));
    }
    copied(legacyCopy(text));
    return Promise.resolve();
  }

  function legacyCopy(text) {
    const field = document.createElement('textarea');
    field.value = text;
    field.className = 'visually-hidden';
    document.body.appendChild(field);
    field.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    field.remove();
    return ok;
  }

  document.addEventListener('click', (event) => {
    const button = event.target.closest('[data-copy], [data-copy-from], [data-open-dialog]');
    if (!button) { return; }
    if (button.hasAttribute('data-open-dialog')) {
      document.getElementById(button.getAttribute('data-open-dialog')).showModal();
    } else if (button.hasAttribute('data-copy')) {
      copy(button.getAttribute('data-copy'));
    } else {
      copy(document.getElementById(button.getAttribute('data-copy-from')).value);
    }
  });

  // -- drag and drop -----------------------------------------------------------------
  function makeSortable() {
    if (typeof Sortable === 'undefined') { return; }
    all('.dropzone').forEach((zone) => {
      if (zone.sortable) { return; }
      zone.sortable = Sortable.create(zone, {
        group: 'cards',
        draggable: '.card',
        animation: 120,
        delayOnTouchOnly: true,
        delay: 120,
        onStart: () => { dragging = true; },
        onEnd: (event) => {
          dragging = false;
          const moved = event.from !== event.to || event.oldIndex !== event.newIndex;
          if (moved) {
            send('card-move', {
              card_id: event.item.getAttribute('data-card'),
              cluster_id: event.to.getAttribute('data-cluster'),
              index: event.newIndex
            });
          }
          if (missedFrame) { missedFrame = false; resync(); }
        }
      });
    });
  }

  // -- live updates -------------------------------------------------------------------
  // A swap in the middle of a drag would pull the card from under the pointer: hold
  // updates while dragging and ask for a full render afterwards. Before any other
  // swap, note where the panes were scrolled and what had the focus, to put both back.
  document.addEventListener('htmx:wsBeforeMessage', (event) => {
    socket = event.detail.socketWrapper;
    if (dragging) {
      event.preventDefault();
      missedFrame = true;
      return;
    }
    beforeSwap = remember();
  });
  document.addEventListener('htmx:wsOpen', (event) => { socket = event.detail.socketWrapper; });
  document.addEventListener('htmx:wsAfterMessage', () => {
    refresh();
    if (beforeSwap) { restore(beforeSwap); beforeSwap = null; }
    followReveal();
  });

  // A card revealed one by one ("Nächste Karte") becomes the selected card, so a
  // number key or N sorts it at once, while the board still shows it large.
  let revealed = '';
  function followReveal() {
    const sorter = one('[data-sorter]');
    const current = sorter ? sorter.getAttribute('data-current') || '' : '';
    if (current === revealed) { return; }
    revealed = current;
    const card = cardElement(current);
    if (!card) { return; }
    selectCard(current);
    focusItem(card);
  }
  document.addEventListener('DOMContentLoaded', refresh);
  window.addEventListener('resize', fit);
  document.addEventListener('htmx:afterSwap', fit);

  function scrollKey(el) {
    return el.getAttribute('data-pane') || `zone:${el.getAttribute('data-cluster')}`;
  }

  function remember() {
    const scroll = {};
    all('[data-pane], .cluster[data-target] .dropzone').forEach((el) => { scroll[scrollKey(el)] = el.scrollTop; });
    const active = document.activeElement;
    const inWall = active && wall() && wall().contains(active);
    return { scroll, active: inWall ? active : null, focusKey: inWall ? focusKeyOf(active) : null };
  }

  function focusKeyOf(el) {
    if (el.matches('.card[data-card]')) { return `.card[data-card=${quoted(el.getAttribute('data-card'))}]`; }
    if (el.matches('[data-move-to]')) { return `[data-move-to=${quoted(el.getAttribute('data-move-to'))}]`; }
    if (el.matches('[data-select-cluster]')) { return `[data-select-cluster=${quoted(el.getAttribute('data-select-cluster'))}]`; }
    if (el.matches('[data-new-cluster]')) { return '[data-new-cluster]'; }
    return null;
  }

  function restore(saved) {
    all('[data-pane], .cluster[data-target] .dropzone').forEach((el) => {
      const top = saved.scroll[scrollKey(el)];
      if (top !== undefined) { el.scrollTop = top; }
    });
    // The focused element was replaced by the swap: focus its successor.
    if (saved.active && !document.contains(saved.active)) {
      const again = (saved.focusKey && one(saved.focusKey)) || cardElement(selectedCard);
      if (again) { focusItem(again, false); }  // the trainer may have scrolled away from it
    }
  }
})();
