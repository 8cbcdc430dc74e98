/* Keep the whole wall on the projector with the largest card text that fits.

   A card wall is a grid of equal columns. Each cluster spans as many of them as its
   cards need (a cluster of 30 flows into several columns under its heading) and is
   placed where the columns are lowest, like cards pinned from the top of a board.
   Card heights are measured once per column width, in em, so they hold at any font
   size; a bisection then finds the largest font size at which the clusters fit, and
   the result is set as CSS custom properties (the CSP forbids inline styles, not
   setProperty), its heights checked against the real layout. Any other wall
   (results, a hidden counter) is scaled as a whole by --fit, found by bisection. */
(function () {
  'use strict';
  var MAX_TEXT = 0.04;       // the largest card text: 4 % of the screen's height
  var MIN_TEXT = 7;          // px: below this nothing is readable anyway
  var COLUMN_EMS = [6.5, 7.5, 8.5, 9.5, 11, 12.5, 14.5];  // column widths tried, in em of the card text (a card wall: see columnEms)
  var GAP = 0.55;             // em between columns and between clusters (board.css: --gap)
  var MAX_STRETCH = 1.6;     // columns may widen this much to use the wall's width
  var PROBE = 20;            // px: the font size the card heights are measured at

  var observer = window.ResizeObserver ? new ResizeObserver(schedule) : null;
  // A card frame (board/live/fragments.py) changes cards in the wall, not the wall nor
  // its size: fit again when its cards come or go.
  var cards = window.MutationObserver ? new MutationObserver(function () { done = ''; schedule(); }) : null;
  var observed = null;
  var queued = false;
  var done = '';  // the wall's size when it was last fitted (a swap brings a new wall)

  function schedule() {
    if (queued) { return; }
    queued = true;
    window.requestAnimationFrame(function () { queued = false; fit(); });
  }

  function fit() {
    var wall = document.getElementById('board-wall');
    if (!wall || !wall.parentElement || !wall.parentElement.classList.contains('board')) { return; }
    fitQuestion(document.querySelector('.board__head .board__question'));
    if (observer && observed !== wall) {
      observer.disconnect();
      observer.observe(wall);
      observed = wall;
      if (cards) {
        cards.disconnect();
        cards.observe(wall, { childList: true, subtree: true });
      }
      done = '';
    }
    // A frame that changed neither the wall nor its size (presence, the timer) costs nothing.
    var size = wall.clientWidth + 'x' + wall.clientHeight;
    if (size === done) { return; }
    done = size;
    var groups = Array.prototype.slice.call(wall.querySelectorAll(':scope > .cluster'));
    if (groups.length && wall.classList.contains('wall--cards')) {
      fitClusters(wall, groups);
    } else {
      fitWhole(wall);
    }
    wall.setAttribute('data-fitted', window.innerWidth + 'x' + window.innerHeight);
  }

  // A long question gets smaller type (down to 60 %) before its two lines cut it short.
  function fitQuestion(question) {
    if (!question) { return; }
    var low = 0.6, high = 1;
    set(question, '--shrink', high);
    if (question.scrollHeight <= question.clientHeight + 1) { return; }
    for (var i = 0; i < 6; i++) {
      var mid = (low + high) / 2;
      set(question, '--shrink', mid);
      if (question.scrollHeight <= question.clientHeight + 1) { low = mid; } else { high = mid; }
    }
    set(question, '--shrink', low);
  }

  function overflows(wall) {
    return wall.scrollHeight > wall.clientHeight + 1 || wall.scrollWidth > wall.clientWidth + 1;
  }

  // ---- a results wall: one factor for everything, the largest that fits ----
  // (the teams' walls side by side grow too, until their cards reach the largest text)
  function fitWhole(wall) {
    var low = 0.35, high = wall.classList.contains('wall--in-teams') ? growth(wall) : 1;
    wall.style.setProperty('--fit', high);
    if (!overflows(wall)) { return; }
    for (var i = 0; i < 7; i++) {
      var mid = (low + high) / 2;
      wall.style.setProperty('--fit', mid);
      if (overflows(wall)) { high = mid; } else { low = mid; }
    }
    wall.style.setProperty('--fit', low);
  }

  // How far the teams' walls may grow: their card text up to MAX_TEXT of the height.
  function growth(wall) {
    wall.style.setProperty('--fit', 1);
    var card = wall.querySelector('.mini-card, .team-wall__hidden');
    var size = card ? parseFloat(getComputedStyle(card).fontSize) : 0;
    return size ? Math.max(1, Math.min(3, MAX_TEXT * window.innerHeight / size)) : 1;
  }

  // ---- a card wall ----
  function set(el, name, value) { el.style.setProperty(name, value); }

  // Each cluster's heading and card heights in em, in one column `colEm` wide.
  function measure(wall, groups, colEm) {
    set(wall, '--card-font', PROBE + 'px');
    set(wall, '--col', colEm + 'em');
    groups.forEach(function (g) { set(g, '--cols', 1); });
    return groups.map(function (g) {
      var box = g.querySelector('.cluster__cards');
      var cards = box ? Array.prototype.slice.call(box.children) : [];
      var heights = cards.map(function (c) {
        return (c.offsetHeight + parseFloat(getComputedStyle(c).marginBottom)) / PROBE;
      });
      var head = (g.offsetHeight - (box ? box.offsetHeight : 0)) / PROBE;
      return { head: head, cards: heights, tall: {}, splits: splitsWords(g) };
    });
  }

  // Whether a word of a card or the heading is too long for the column (measured with
  // .wall--measuring, where words do not break): such a column is only a last resort.
  function splitsWords(group) {
    var texts = group.querySelectorAll('.card__text, .cluster__heading, .cluster__label');
    for (var i = 0; i < texts.length; i++) {
      if (texts[i].scrollWidth > texts[i].clientWidth + 1) { return true; }
    }
    return false;
  }

  // The tallest column (em) when the cards, in order, are split into `cols` columns as
  // CSS column balancing does: the smallest such height, found by bisection.
  function cardsHeight(group, cols) {
    if (group.tall[cols] !== undefined) { return group.tall[cols]; }
    var cards = group.cards, total = 0, tallest = 0;
    cards.forEach(function (h) { total += h; tallest = Math.max(tallest, h); });
    var low = Math.max(tallest, total / cols), high = total;
    for (var i = 0; i < 20 && high - low > 0.01; i++) {
      var mid = (low + high) / 2;
      if (columnsNeeded(cards, mid) <= cols) { high = mid; } else { low = mid; }
    }
    group.tall[cols] = high;
    return high;
  }

  function columnsNeeded(cards, limit) {
    var n = 1, used = 0;
    cards.forEach(function (h) {
      if (used + h > limit && used > 0) { n += 1; used = 0; }
      used += h;
    });
    return n;
  }

  // Pin the clusters (heights given) where the columns are lowest; returns where each
  // went and how high the wall gets, in the unit of `heights`.
  function pin(heights, cols, columns, gap) {
    var sky = [], at = [], tops = [];
    for (var c = 0; c < columns; c++) { sky.push(0); }
    for (var i = 0; i < heights.length; i++) {
      var span = cols[i], best = 0, bestTop = Infinity;
      for (var j = 0; j + span <= columns; j++) {
        var top = 0;
        for (var k = j; k < j + span; k++) { if (sky[k] > top) { top = sky[k]; } }
        if (top < bestTop - 1e-6) { best = j; bestTop = top; }
      }
      at.push(best);
      tops.push(bestTop);
      for (var m = best; m < best + span; m++) { sky[m] = bestTop + heights[i] + gap; }
    }
    var used = 0, highest = 0;
    for (var n = 0; n < columns; n++) { used += sky[n]; if (sky[n] > highest) { highest = sky[n]; } }
    return { at: at, tops: tops, height: highest - gap, used: used };
  }

  function heightsOf(groups, cols) {
    return groups.map(function (g, i) { return g.head + cardsHeight(g, cols[i]); });
  }

  // Columns per cluster: one each, then keep giving a column to the cluster where it
  // lowers the wall most (at an equal height, where it leaves the columns lowest overall).
  function chooseColumns(groups, columns) {
    var cols = groups.map(function () { return 1; });
    var best = pin(heightsOf(groups, cols), cols, columns, GAP);
    for (var round = 0; round < 200; round++) {
      var pick = -1, pickLayout = best;
      for (var i = 0; i < groups.length; i++) {
        if (cols[i] >= Math.min(columns, Math.max(1, groups[i].cards.length))) { continue; }
        cols[i] += 1;
        var layout = pin(heightsOf(groups, cols), cols, columns, GAP);
        cols[i] -= 1;
        if (layout.height < pickLayout.height - 1e-6 ||
            (layout.height <= pickLayout.height + 1e-6 && layout.used < pickLayout.used - 1e-6)) {
          pick = i; pickLayout = layout;
        }
      }
      if (pick < 0) { break; }
      cols[pick] += 1;
      best = pickLayout;
    }
    return { cols: cols, height: best.height };
  }

  // The largest font size (px) at which the clusters fit, with their columns.
  function search(groups, colEm, width, height, maxFont) {
    function attempt(font) {
      var columns = Math.max(1, Math.floor((width / font + GAP) / (colEm + GAP)));
      var layout = chooseColumns(groups, columns);
      if (layout.height * font > height) { return null; }
      return { font: font, cols: layout.cols, colEm: colEm, columns: columns, measured: groups };
    }
    var found = attempt(maxFont);
    if (found) { return found; }
    var low = MIN_TEXT, high = maxFont;
    for (var i = 0; i < 12 && high - low > 0.1; i++) {
      var mid = (low + high) / 2;
      var layout = attempt(mid);
      if (layout) { low = mid; found = layout; } else { high = mid; }
    }
    return found;
  }

  // The columns tried: none narrower than the card the three-line rule measures at
  // (board/card_lines.py, handed over as data-card-column), so an accepted card never
  // needs a fourth line on the wall.
  function columnEms(wall) {
    var least = parseFloat(wall.getAttribute('data-card-column')) || 0;
    var wide = COLUMN_EMS.filter(function (colEm) { return colEm >= least; });
    return wide.length ? wide : [least];
  }

  function fitClusters(wall, groups) {
    var width = wall.clientWidth, height = wall.clientHeight;
    var maxFont = Math.max(MIN_TEXT, window.innerHeight * MAX_TEXT);
    var best = null, whole = null;
    var widths = columnEms(wall);
    wall.classList.add('wall--measuring');
    widths.forEach(function (colEm) {
      var measured = measure(wall, groups, colEm);
      var found = search(measured, colEm, width, height, maxFont);
      if (!found) { return; }
      var splits = measured.some(function (g) { return g.splits; });
      // Columns that split no word win over larger text with split words.
      if (!splits && (!whole || found.font > whole.font + 0.05)) { whole = found; }
      if (!best || found.font > best.font + 0.05) { best = found; }
    });
    wall.classList.remove('wall--measuring');
    best = whole || best;
    if (!best) {
      var columns = Math.max(1, Math.floor((width / MIN_TEXT + GAP) / (widths[0] + GAP)));
      best = {
        font: MIN_TEXT, cols: groups.map(function () { return 1; }), colEm: widths[0],
        columns: columns, measured: measure(wall, groups, widths[0])
      };
    }
    // The model leaves out rounding and column balancing's quirks: shrink until it fits.
    for (var i = 0; i < 12; i++) {
      if (apply(wall, groups, best, width, height) || best.font <= MIN_TEXT) { break; }
      best.font = Math.max(MIN_TEXT, best.font * 0.97);
    }
  }

  // Set the font size, the columns (widened to use the wall's width) and where each
  // cluster goes, from the real heights; whether everything is inside the wall.
  function apply(wall, groups, best, width, height) {
    var font = best.font, gap = GAP * font;
    var cols = best.cols.map(function (c) { return Math.min(c, best.columns); });
    var model = pin(heightsOf(best.measured, cols), cols, best.columns, GAP);
    var used = 1;
    model.at.forEach(function (j, i) { used = Math.max(used, j + cols[i]); });
    var colPx = Math.min(best.colEm * font * MAX_STRETCH, (width - (used - 1) * gap) / used);
    colPx = Math.max(best.colEm * font, Math.floor(colPx));
    set(wall, '--card-font', font.toFixed(2) + 'px');
    set(wall, '--col', colPx + 'px');
    set(wall, '--gap', gap.toFixed(2) + 'px');
    groups.forEach(function (g, i) { set(g, '--cols', cols[i]); });
    // Where each goes, with the heights the browser gives them at this size.
    var heights = groups.map(function (g) { return g.offsetHeight; });
    var placed = pin(heights, cols, used, gap);
    groups.forEach(function (g, i) {
      set(g, '--x', Math.round(placed.at[i] * (colPx + gap)) + 'px');
      set(g, '--y', Math.round(placed.tops[i]) + 'px');
    });
    return placed.height <= height + 0.5 && !overflows(wall);
  }

  document.addEventListener('htmx:wsAfterMessage', fit);
  window.addEventListener('resize', schedule);
  document.addEventListener('DOMContentLoaded', fit);
  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(function () { done = ''; schedule(); });
  }
})();
