'use strict';
// DOM helpers the site adapters and the UI share. The selectors stay in each site adapter; these
// only say how a site's markup is searched.
(function defineDom(Toontje) {
  /** A new element with a class and attributes (values become strings, as setAttribute makes them). */
  function element(tag, className, attributes = {}) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    return node;
  }

  /** The element matching `selector` that holds `target` (or is it), from any event target. */
  function closestMatching(target, selector) {
    return target?.closest?.(selector) ?? null;
  }

  /** `root` itself when it matches, then every match below it: a scan may start at a box. */
  function matchingWithin(root, selector) {
    const found = root.matches?.(selector) ? [root] : [];
    found.push(...root.querySelectorAll(selector));
    return found;
  }

  /**
   * The matches inside `container` that belong to it rather than to a container of the same kind
   * nested in it: a comment's own author and text, not those of a reply shown inside it.
   */
  function ownMatches(container, selector, containerSelector) {
    return [...container.querySelectorAll(selector)].filter((match) => match.closest(containerSelector) === container);
  }

  /**
   * The first match inside the nearest of `start`'s ancestors (at most `maxDepth` levels up)
   * that holds one. A site's send or post control sits beside its box, not in it, and going up
   * one level at a time finds the box's own control before that of a box further away.
   */
  function nearestAround(start, selector, maxDepth) {
    let node = start.parentElement;
    for (let depth = 0; node && depth < maxDepth; depth += 1, node = node.parentElement) {
      const found = node.querySelector(selector);
      if (found) return found;
    }
    return null;
  }

  /**
   * The box a send or post control posts: the boxes `findBoxes` finds in the nearest ancestor (at
   * most `maxDepth` levels up) that holds any. Where several boxes share that ancestor, the
   * control follows the box it posts, so the last box before the control wins.
   */
  function boxBeforeControl(control, findBoxes, maxDepth) {
    let node = control.parentElement;
    for (let depth = 0; node && depth < maxDepth; depth += 1, node = node.parentElement) {
      const candidates = findBoxes(node);
      const before = candidates.filter((box) => box.compareDocumentPosition(control) & Node.DOCUMENT_POSITION_FOLLOWING);
      if (candidates.length) return before.at(-1) ?? candidates[0];
    }
    return null;
  }

  Toontje.dom = Object.freeze({
    element, closestMatching, matchingWithin, ownMatches, nearestAround, boxBeforeControl,
  });
})(globalThis.Toontje);
