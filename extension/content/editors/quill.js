'use strict';
// Quill (LinkedIn's older comment box). Quill watches its DOM with a MutationObserver and turns
// native edits into its own Delta, so the browser's own insertText reaches Quill's model and
// history; its API lives in the page's world, out of a content script's reach.
(function defineQuillEditor(Toontje) {
  const { editing } = Toontje;

  Toontje.editors.quill = editing.editorModule({
    name: 'quill',
    // Quill's history merges changes less than a second apart into one undo step (its default
    // "delay"); waiting that long after the last keystroke keeps Ctrl+Z from also eating typing.
    historyGroupDelayMs: 1000,
    insert: editing.insertWithCommand,
  });
})(globalThis.Toontje);
