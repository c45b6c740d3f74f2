'use strict';
// Keeps our floating elements next to their box. They live at the end of <body>, outside the
// site's own (React-managed) tree, with position: fixed, and are moved on scroll, resize and
// layout changes, so they follow the box without ever sitting inside the text.
(function defineAnchor(Toontje) {
  const GAP_PX = 4;
  const VIEWPORT_MARGIN_PX = 8;
  // Below this the panel's buttons would hardly show; overlapping the box is the lesser evil.
  const MIN_PANEL_HEIGHT_PX = 140;
  const anchored = new Map();
  let frameRequested = false;

  // A box scrolled out of the viewport takes its badge and panel with it, instead of leaving
  // them pinned to the window's edge over other content.
  function isShown(box) {
    if (!box.isConnected) return false;
    const rect = box.getBoundingClientRect();
    return rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.top < window.innerHeight;
  }

  // The badge goes just above the box's top-right corner (where a comment box has padding, not
  // its icons); below it only when there is no room above.
  function placeBadge(element, rect) {
    const height = element.offsetHeight;
    const width = element.offsetWidth;
    const above = rect.top - height - GAP_PX;
    const top = above >= 0 ? above : rect.bottom + GAP_PX;
    const left = Math.max(VIEWPORT_MARGIN_PX, Math.min(rect.right - width, window.innerWidth - width - VIEWPORT_MARGIN_PX));
    return { top, left };
  }

  // The panel's full height even while a max-height clips it. Lifting the max-height to measure
  // would reset the panel's scroll position, and this runs on every scroll, the panel's own too.
  function naturalHeight(element) {
    // toontje.css caps the panel at calc(100vh - 16px) = the window less both margins.
    const stylesheetCap = window.innerHeight - 2 * VIEWPORT_MARGIN_PX;
    return Math.min(element.scrollHeight + element.offsetHeight - element.clientHeight, stylesheetCap);
  }

  // The panel goes below the box when it fits, else above. In a window too low for either, it
  // takes the roomier side and scrolls inside, so it never covers the reply it is about; only
  // when even that side is tiny does it overlap the box, at the bottom of the window.
  function placePanel(element, rect) {
    const height = naturalHeight(element);
    const width = element.offsetWidth;
    const roomBelow = window.innerHeight - VIEWPORT_MARGIN_PX - (rect.bottom + GAP_PX);
    const roomAbove = rect.top - GAP_PX - VIEWPORT_MARGIN_PX;
    let top;
    let maxHeight = '';
    if (height <= roomBelow) {
      top = rect.bottom + GAP_PX;
    } else if (height <= roomAbove) {
      top = rect.top - GAP_PX - height;
    } else if (Math.max(roomBelow, roomAbove) >= MIN_PANEL_HEIGHT_PX) {
      const below = roomBelow >= roomAbove;
      maxHeight = `${Math.floor(below ? roomBelow : roomAbove)}px`;
      top = below ? rect.bottom + GAP_PX : VIEWPORT_MARGIN_PX;
    } else {
      top = Math.max(VIEWPORT_MARGIN_PX, window.innerHeight - height - VIEWPORT_MARGIN_PX);
    }
    if (element.style.maxHeight !== maxHeight) element.style.maxHeight = maxHeight;
    const left = Math.max(VIEWPORT_MARGIN_PX, Math.min(rect.left, window.innerWidth - width - VIEWPORT_MARGIN_PX));
    return { top, left };
  }

  const PLACEMENTS = { badge: placeBadge, panel: placePanel };

  function positionAll() {
    frameRequested = false;
    for (const [element, { box, placement }] of anchored) {
      if (!isShown(box)) {
        element.style.visibility = 'hidden';
        continue;
      }
      const { top, left } = PLACEMENTS[placement](element, box.getBoundingClientRect());
      element.style.visibility = '';
      element.style.top = `${Math.round(top)}px`;
      element.style.left = `${Math.round(left)}px`;
    }
  }

  function refresh() {
    if (frameRequested || anchored.size === 0) return;
    frameRequested = true;
    requestAnimationFrame(positionAll);
  }

  const resizeObserver = new ResizeObserver(refresh);
  // Scroll events do not bubble, but a capturing listener on window sees every scroller's.
  window.addEventListener('scroll', refresh, { capture: true, passive: true });
  window.addEventListener('resize', refresh, { passive: true });

  function attach(element, box, placement) {
    anchored.set(element, { box, placement });
    resizeObserver.observe(box);
    resizeObserver.observe(element);
    refresh();
  }

  function detach(element) {
    const entry = anchored.get(element);
    if (!entry) return;
    anchored.delete(element);
    resizeObserver.unobserve(element);
    if (![...anchored.values()].some((other) => other.box === entry.box)) resizeObserver.unobserve(entry.box);
  }

  Toontje.anchor = Object.freeze({ attach, detach, refresh });
})(globalThis.Toontje);
