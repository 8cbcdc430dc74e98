/* Keep the whole wall on the projector with the largest card text that fits.

   A card wall: card heights are measured once per column width (in em, so they hold at
   any font size), then a search finds the largest font size at which the clusters,
   each given as many columns as its cards need, fit the wall in rows; the result is
   set as CSS custom properties (the CSP forbids inline styles, not setProperty) and
   checked against the real layout. Any other wall (results, a hidden counter) is
   scaled as a whole by --fit, found by bisection. */
(function () {
  'use strict';
  var MAX_TEXT = 0.04;       // the largest card text: 4 % of the screen's height
  var MIN_TEXT = 7;          // px: below this nothing is readable anyway
  var COLUMN_EMS = [7.5, 9, 11, 13.5, 16];  // column widths tried, in em of the card text
  var COLUMN_GAP = 0.5;      // em, as in board.css (.cluster__cards column-gap)
  var CLUSTER_GAP = 1.3;     // em, between clusters (.wall--cards gap)
  var ROW_GAP = 0.9;         // em, between rows of clusters
  var MAX_STRETCH = 1.5;     // columns may widen this much to use the wall's width
  var PROBE = 20;            // px: the font size the card heights are measured at

  var observer = window.ResizeObserver ? new ResizeObserver(schedule) : null;
  var observed = null;
  var queued = false;

  function schedule() {
    if (queued) { return; }
    queued = true;
    window.requestAnimationFrame(function () { queued = false; fit(); });
  }

  function fit() {
    var wall = document.getElementById('board-wall');
    if (!wall || !wall.parentElement || !wall.parentElement.classList.contains('board')) { return; }
    if (observer && observed !== wall) {
      observer.disconnect();
      observer.observe(wall);
      observed = wall;
    }
    var groups = wall.querySelectorAll(':scope > .cluster');
    if (groups.length && wall.classList.contains('wall--cards')) {
      fitClusters(wall, Array.prototype.slice.call(groups));
    } else {
      fitWhole(wall);
    }
    wall.setAttribute('data-fitted', window.innerWidth + 'x' + window.innerHeight);
  }

  function overflows(wall) {
    return wall.scrollHeight > wall.clientHeight + 1 || wall.scrollWidth > wall.clientWidth + 1;
  }

  // ---- a results wall: one factor for everything, the largest that fits ----
  function fitWhole(wall) {
    var low = 0.35, high = 1;
    wall.style.setProperty('--fit', high);
    if (!overflows(wall)) { return; }
    for (var i = 0; i < 7; i++) {
      var mid = (low + high) / 2;
      wall.style.setProperty('--fit', mid);
      if (overflows(wall)) { high = mid; } else { low = mid; }
    }
    wall.style.setProperty('--fit', low);
  }

  // ---- a card wall ----
  function setColumns(group, cols) { group.style.setProperty('--cols', cols); }

  // Each group's heading and card heights in em, all in one column of `colEm`.
  function measure(wall, groups, colEm) {
    wall.style.setProperty('--card-font', PROBE + 'px');
    wall.style.setProperty('--col', colEm + 'em');
    groups.forEach(function (g) { setColumns(g, 1); });
    return groups.map(function (g) {
      var box = g.querySelector('.cluster__cards');
      var cards = box ? Array.prototype.slice.call(box.children) : [];
      var head = (g.offsetHeight - (box ? box.offsetHeight : 0)) / PROBE;
      var heights = cards.map(function (c) {
        var style = getComputedStyle(c);
        return (c.offsetHeight + parseFloat(style.marginBottom)) / PROBE;
      });
      return { head: head, cards: heights, columns: {} };
    });
  }

  // The tallest column when the cards (in order) are split into `cols` columns, the way
  // CSS column balancing does: the smallest such height, found by bisection.
  function columnHeight(group, cols) {
    if (group.columns[cols] !== undefined) { return group.columns[cols]; }
    var cards = group.cards, total = 0, tallest = 0;
    cards.forEach(function (h) { total += h; tallest = Math.max(tallest, h); });
    var low = Math.max(tallest, total / cols), high = total;
    for (var i = 0; i < 20 && high - low > 0.01; i++) {
      var mid = (low + high) / 2;
      if (columnsNeeded(cards, mid) <= cols) { high = mid; } else { low = mid; }
    }
    group.columns[cols] = high;
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

  // Height (em) of the clusters laid out in rows as flex-wrap does, at `widthEm` wide.
  function packed(groups, cols, colEm, widthEm) {
    var total = 0, rowHeight = 0, rowWidth = -CLUSTER_GAP, rows = 0, sum = 0;
    for (var i = 0; i < groups.length; i++) {
      var w = cols[i] * colEm + (cols[i] - 1) * COLUMN_GAP;
      if (w > widthEm + 1e-6) { return null; }
      var h = groups[i].head + columnHeight(groups[i], cols[i]);
      sum += h;
      if (rowWidth + CLUSTER_GAP + w > widthEm + 1e-6 && rows > 0) {
        total += rowHeight + ROW_GAP;
        rowHeight = 0;
        rowWidth = -CLUSTER_GAP;
      }
      if (rowWidth < 0) { rows += 1; }
      rowWidth += CLUSTER_GAP + w;
      rowHeight = Math.max(rowHeight, h);
    }
    return { height: total + rowHeight, sum: sum };
  }

  // Columns per cluster at this width: start with one each, then keep giving a column to
  // the cluster where it lowers the wall most (or, at equal height, the cluster itself).
  function chooseColumns(groups, colEm, widthEm) {
    var cols = groups.map(function () { return 1; });
    var best = packed(groups, cols, colEm, widthEm);
    if (!best) { return null; }
    for (var round = 0; round < 200; round++) {
      var pick = -1, pickLayout = null;
      for (var i = 0; i < groups.length; i++) {
        if (cols[i] >= Math.max(1, groups[i].cards.length)) { continue; }
        cols[i] += 1;
        var layout = packed(groups, cols, colEm, widthEm);
        cols[i] -= 1;
        if (!layout) { continue; }
        var better = pickLayout || best;
        if (layout.height < better.height - 1e-6 ||
            (layout.height <= better.height + 1e-6 && layout.sum < better.sum - 1e-6)) {
          pick = i;
          pickLayout = layout;
        }
      }
      if (pick < 0) { break; }
      cols[pick] += 1;
      best = pickLayout;
    }
    return { cols: cols, height: best.height };
  }

  // The largest font size (px) at which the clusters fit, and their columns.
  function search(groups, colEm, width, height, maxFont) {
    var low = MIN_TEXT, high = maxFont, found = null;
    var top = chooseColumns(groups, colEm, width / high);
    if (top && top.height * high <= height) { return { font: high, cols: top.cols, colEm: colEm }; }
    for (var i = 0; i < 14 && high - low > 0.1; i++) {
      var mid = (low + high) / 2;
      var layout = chooseColumns(groups, colEm, width / mid);
      if (layout && layout.height * mid <= height) {
        low = mid;
        found = { font: mid, cols: layout.cols, colEm: colEm };
      } else {
        high = mid;
      }
    }
    return found;
  }

  function fitClusters(wall, groups) {
    var width = wall.clientWidth, height = wall.clientHeight;
    var maxFont = Math.max(MIN_TEXT, window.innerHeight * MAX_TEXT);
    var best = null;
    COLUMN_EMS.forEach(function (colEm) {
      var found = search(measure(wall, groups, colEm), colEm, width, height, maxFont);
      if (found && (!best || found.font > best.font + 0.05)) { best = found; }
    });
    if (!best) { best = { font: MIN_TEXT, cols: groups.map(function () { return 1; }), colEm: COLUMN_EMS[0] }; }
    apply(wall, groups, best, width);
    // The model leaves out rounding and column balancing's quirks: shrink until it fits.
    for (var i = 0; i < 12 && overflows(wall) && best.font > MIN_TEXT; i++) {
      best.font = Math.max(MIN_TEXT, best.font * 0.97);
      apply(wall, groups, best, width);
    }
  }

  // Set the font size and columns; widen the columns as far as the fullest row allows.
  function apply(wall, groups, best, width) {
    var font = best.font, colPx = best.colEm * font;
    var stretch = MAX_STRETCH, used = 0, cols = 0, gaps = 0;
    function endRow() {
      if (cols) { stretch = Math.min(stretch, (width - gaps) / (cols * colPx)); }
      used = 0; cols = 0; gaps = 0;
    }
    groups.forEach(function (g, i) {
      var inner = (best.cols[i] - 1) * COLUMN_GAP * font;
      var w = best.cols[i] * colPx + inner;
      var before = cols ? CLUSTER_GAP * font : 0;
      if (cols && used + before + w > width + 0.5) { endRow(); before = 0; }
      used += before + w;
      cols += best.cols[i];
      gaps += before + inner;
    });
    endRow();
    wall.style.setProperty('--card-font', font.toFixed(2) + 'px');
    wall.style.setProperty('--col', Math.floor(colPx * Math.max(1, stretch)) + 'px');
    groups.forEach(function (g, i) { setColumns(g, best.cols[i]); });
  }

  document.addEventListener('htmx:wsAfterMessage', fit);
  window.addEventListener('resize', schedule);
  document.addEventListener('DOMContentLoaded', fit);
  if (document.fonts && document.fonts.ready) { document.fonts.ready.then(schedule); }
})();
