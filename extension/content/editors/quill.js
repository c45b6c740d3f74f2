'use strict';
// Quill (LinkedIn's older comment box). Quill watches its DOM with a MutationObserver and turns
// native edits into its own Delta, so the browser's own insertText reaches Quill's model and
// history; its API lives in the page's world, out of a content script's reach.
(function defineQuillEditor(Toontje) {
  const { editing } = Toontje;

  function readText(box) {
    return editing.readBlockText(box);
  }

  Toontje.editors.quill = Object.freeze({
    name: 'quill',
    // Quill's history merges changes less than a second apart into one undo step (its default
    // "delay"); waiting that long after the last keystroke keeps Ctrl+Z from also eating typing.
    historyGroupDelayMs: 1000,
    readText,
    replaceText: (box, text) => editing.replaceAllText(box, text, {
      insert: (target, value) => editing.insertWithCommand(value),
      readText,
    }),
  });
})(globalThis.Toontje);
