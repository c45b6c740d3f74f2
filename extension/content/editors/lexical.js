'use strict';
// Meta's Lexical (Facebook's comment boxes). Lexical renders from its own editor state and
// reverts DOM changes it did not make, so text goes in through events Lexical handles itself.
(function defineLexicalEditor(Toontje) {
  const { editing } = Toontje;

  // Measured with lexical 0.52 in Chromium: execCommand('insertText') is applied (the path that
  // SITES.md recommends) but drops line breaks, while a paste with a DataTransfer keeps them.
  // Both become one history entry, so one Ctrl+Z undoes the replacement.
  function insert(box, text) {
    if (text.includes('\n')) editing.insertWithPaste(box, text);
    else editing.insertWithCommand(box, text);
  }

  Toontje.editors.lexical = editing.editorModule({
    name: 'lexical',
    // Lexical merges an insertion into the previous undo step only for typed characters.
    historyGroupDelayMs: 0,
    insert,
  });
})(globalThis.Toontje);
