'use strict';
// LinkedIn: two comment-box builds live side by side (older Quill, newer TipTap/ProseMirror),
// both posted by a button. Every selector lives in SELECTORS, with where and when it was seen
// (see shared/SITES.md).
(function defineLinkedInSite(Toontje) {
  const { dom } = Toontje;
  const SELECTORS = Object.freeze({
    // seen 2025 in public extension code: the older build's Quill editor.
    quillBox: '.comments-comment-box .ql-editor[contenteditable="true"], '
      + '[data-test-ql-editor-contenteditable="true"]',
    // reported late 2025: the newer build's TipTap editor
    // (aria-label "Text editor for creating comment", class "tiptap ProseMirror").
    tiptapBox: '[data-testid="ui-core-tiptap-text-editor-wrapper"] [contenteditable="true"][role="textbox"]',
    // seen 2025 (older build) and reported late 2025 (newer build, data-view-name): the post
    // buttons. Their texts ("Post", "Reageren", "Plaatsen") are unverified, so never matched.
    submitControl: 'button.comments-comment-box__submit-button--cr, '
      + 'form.comments-comment-box__form button[type="submit"], '
      + 'button[data-view-name="comment-post"], button[data-view-name="comment-reply-post"]',
    // seen 2025 (older build): the form that holds one box and its post button.
    commentForm: 'form.comments-comment-box__form, .comments-comment-box',
    // seen 2025: comments, newer and older markup.
    comment: 'article.comments-comment-entity, article.comments-comment-item',
    commentAuthor: '.comments-comment-meta__description-title, .comments-post-meta__name-text',
    commentText: '.comments-comment-item__main-content, .update-components-text',
  });
  const ANY_BOX = `${SELECTORS.quillBox}, ${SELECTORS.tiptapBox}`;
  // How far up from a button to look for the box it posts (the newer build puts the button
  // beside the editor's wrapper, not inside a form).
  const BUTTON_TO_BOX_DEPTH = 6;
  // From a box up to its button, two levels more: the box sits that much deeper in its editor's wrappers.
  const BOX_TO_BUTTON_DEPTH = BUTTON_TO_BOX_DEPTH + 2;
  const MAX_CONTEXT_CHARS = 2000;

  function findBoxes(root) {
    return dom.matchingWithin(root, ANY_BOX);
  }

  function boxFromTarget(target) {
    return dom.closestMatching(target, ANY_BOX);
  }

  function editorFor(box) {
    return box.matches(SELECTORS.quillBox) ? Toontje.editors.quill : Toontje.editors.prosemirror;
  }

  function submitControlFor(box) {
    return dom.nearestAround(box, SELECTORS.submitControl, BOX_TO_BUTTON_DEPTH);
  }

  function submitControlFromTarget(target) {
    return dom.closestMatching(target, SELECTORS.submitControl);
  }

  function boxForSubmitControl(control) {
    const form = control.closest(SELECTORS.commentForm);
    const inForm = form?.querySelector(ANY_BOX);
    if (inForm) return inForm;
    return dom.boxBeforeControl(control, findBoxes, BUTTON_TO_BOX_DEPTH);
  }

  function isSubmitControlEnabled(control) {
    return !control.disabled && control.getAttribute('aria-disabled') !== 'true';
  }

  /** A reply box sits inside the article of the comment it answers; a top-level box has none. */
  function readContext(box) {
    const article = box.closest(SELECTORS.comment);
    if (!article) return null;
    const authorElement = dom.ownMatches(article, SELECTORS.commentAuthor, SELECTORS.comment)
      .find((element) => element.textContent.trim());
    const textElement = dom.ownMatches(article, SELECTORS.commentText, SELECTORS.comment)
      .find((element) => !element.contains(box) && element.textContent.trim());
    // LinkedIn repeats the name for screen readers in visually hidden spans; the first line is enough.
    const author = (authorElement?.innerText ?? authorElement?.textContent ?? '').trim().split('\n')[0].trim();
    const comment = (textElement?.innerText ?? textElement?.textContent ?? '').trim().slice(0, MAX_CONTEXT_CHARS);
    if (!author && !comment) return null;
    return { comment, author };
  }

  Toontje.sites ??= {};
  Toontje.sites.linkedin = Object.freeze({
    id: 'linkedin',
    SELECTORS,
    matchesHost: (hostname) => hostname === 'www.linkedin.com',
    findBoxes,
    boxFromTarget,
    editorFor,
    // seen 2025: no evidence that Enter posts a comment on either build; the button does, and
    // Enter makes a new line. So only the button is intercepted.
    postsOnEnter: () => false,
    submitControlFor,
    submitControlFromTarget,
    boxForSubmitControl,
    isSubmitControlEnabled,
    readContext,
  });
})(globalThis.Toontje);
