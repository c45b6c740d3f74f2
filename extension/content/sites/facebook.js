'use strict';
// Facebook: which boxes are comment boxes, how they post, and whose comment they answer.
// Every selector lives in SELECTORS, with where and when it was seen (see shared/SITES.md).
(function defineFacebookSite(Toontje) {
  const { dom } = Toontje;
  const SELECTORS = Object.freeze({
    // seen 2025-2026 in public extension code: Lexical marks its root; comment boxes are
    // contenteditable textboxes with aria-labels such as "Comment as …", "Write a comment…".
    box: '[data-lexical-editor="true"][contenteditable="true"][role="textbox"]',
    // seen 2025-2026 in public extension code: the send control next to a focused comment box,
    // aria-disabled="true" while the box is empty. Only inside that container: the post's own
    // "Comment" button elsewhere merely focuses the box.
    submitControl: '#focused-state-composer-submit div[role="button"]',
    // seen 2025-2026: each comment is an article; its aria-label reads "Comment by NAME …"
    // ("Reactie van NAME …" in Dutch).
    comment: 'div[role="article"]',
    // seen 2025-2026: the author's name is the first link's span; the text sits in dir="auto" blocks.
    commentAuthor: 'a[role="link"] span',
    commentText: 'div[dir="auto"]',
  });

  // guess 2026-11: Messenger chat boxes and the "create post" composer are Lexical textboxes
  // too; they are told apart by their labels and by the Messenger page, since nothing else
  // marks them in public code. Enter in the post composer makes a new line, not a post.
  const NOT_A_COMMENT_BOX_LABEL = /^(message|bericht|aa$)|on your mind|wat ben je aan het doen|create a (public )?post|maak een (openbaar )?bericht/i;
  const MESSENGER_PATH = /^\/(messages|messenger)(\/|$)/;
  const AUTHOR_FROM_LABEL = /^(?:comment|reply|reactie|antwoord)\s+(?:by|van)\s+(.+?)(?:\s+(?:\d|a |an |about |een |ongeveer |just now|zojuist|yesterday|gisteren).*)?$/i;
  // How far up from a box to look for the comment it answers when the box sits right after it.
  const REPLY_BOX_SEARCH_DEPTH = 5;
  // How far up from a box (or its send control) to look for the other one.
  const SUBMIT_CONTROL_SEARCH_DEPTH = 8;
  const MAX_CONTEXT_CHARS = 2000;

  function isCommentBox(element) {
    if (!element?.matches?.(SELECTORS.box)) return false;
    if (MESSENGER_PATH.test(location.pathname)) return false;
    return !NOT_A_COMMENT_BOX_LABEL.test((element.getAttribute('aria-label') ?? '').trim());
  }

  function findBoxes(root) {
    return dom.matchingWithin(root, SELECTORS.box).filter(isCommentBox);
  }

  function boxFromTarget(target) {
    const box = dom.closestMatching(target, SELECTORS.box);
    return box && isCommentBox(box) ? box : null;
  }

  /** The send control in the nearest ancestor (within a few levels) that holds one. */
  function submitControlFor(box) {
    return dom.nearestAround(box, SELECTORS.submitControl, SUBMIT_CONTROL_SEARCH_DEPTH);
  }

  function submitControlFromTarget(target) {
    return dom.closestMatching(target, SELECTORS.submitControl);
  }

  function boxForSubmitControl(control) {
    return dom.boxBeforeControl(control, findBoxes, SUBMIT_CONTROL_SEARCH_DEPTH);
  }

  function isSubmitControlEnabled(control) {
    return control.getAttribute('aria-disabled') !== 'true';
  }

  /** A reply box sits inside its comment's article or right after it; a top-level box has none. */
  function parentComment(box) {
    const enclosing = box.closest(SELECTORS.comment);
    if (enclosing) return enclosing;
    let node = box;
    for (let depth = 0; node && depth < REPLY_BOX_SEARCH_DEPTH; depth += 1, node = node.parentElement) {
      const previous = node.previousElementSibling;
      if (previous?.matches(SELECTORS.comment)) return previous;
    }
    return null;
  }

  function readContext(box) {
    const article = parentComment(box);
    if (!article) return null;
    const authorElement = dom.ownMatches(article, SELECTORS.commentAuthor, SELECTORS.comment)
      .find((element) => element.textContent.trim());
    const authorFromLabel = AUTHOR_FROM_LABEL.exec((article.getAttribute('aria-label') ?? '').trim())?.[1];
    const author = (authorElement?.textContent ?? authorFromLabel ?? '').trim();
    const textBlocks = dom.ownMatches(article, SELECTORS.commentText, SELECTORS.comment)
      .filter((element) => !element.parentElement.closest(SELECTORS.commentText)
        && !element.closest('a[role="link"]')
        && !element.contains(box));
    const comment = textBlocks.map((element) => element.innerText ?? element.textContent)
      .map((text) => text.trim()).filter(Boolean).join('\n').slice(0, MAX_CONTEXT_CHARS);
    if (!author && !comment) return null;
    return { comment, author };
  }

  Toontje.sites ??= {};
  Toontje.sites.facebook = Object.freeze({
    id: 'facebook',
    SELECTORS,
    matchesHost: (hostname) => hostname === 'www.facebook.com' || hostname === 'web.facebook.com',
    findBoxes,
    boxFromTarget,
    editorFor: () => Toontje.editors.lexical,
    // seen 2025-2026: plain Enter posts a comment, Shift+Enter adds a line.
    postsOnEnter: () => true,
    submitControlFor,
    submitControlFromTarget,
    boxForSubmitControl,
    isSubmitControlEnabled,
    readContext,
  });
})(globalThis.Toontje);
