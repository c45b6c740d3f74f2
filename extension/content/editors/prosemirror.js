'use strict';
// ProseMirror, through TipTap (LinkedIn's newer comment box). Setting textContent leaves its
// state untouched; a native insertText is read back by ProseMirror's DOM observer into one
// transaction ("\n" becomes a new paragraph), which its history undoes in one step.
(function defineProseMirrorEditor(Toontje) {
  const { editing } = Toontje;

  Toontje.editors.prosemirror = editing.editorModule({
    name: 'prosemirror',
    // prosemirror-history starts a new undo group only after 500 ms without changes.
    historyGroupDelayMs: 500,
    insert: editing.insertWithCommand,
  });
})(globalThis.Toontje);
