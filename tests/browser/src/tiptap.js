// Real TipTap 3 on ProseMirror (LinkedIn's newer comment box) for the LinkedIn fixture page.
import { Editor } from '@tiptap/core';
import StarterKit from '@tiptap/starter-kit';

function mount(element, { onChange }) {
  const editor = new Editor({
    element,
    extensions: [StarterKit],
    content: '',
    editorProps: {
      attributes: {
        role: 'textbox',
        'aria-label': 'Text editor for creating comment',
        'aria-multiline': 'true',
        'aria-placeholder': 'Add a comment…',
      },
    },
    onUpdate: () => onChange(getText()),
  });
  const getText = () => editor.getText({ blockSeparator: '\n' });
  return {
    kind: 'tiptap',
    editor,
    getText,
    clear() {
      editor.commands.clearContent(true);
    },
    destroy() {
      editor.destroy();
    },
  };
}

window.FixtureEditors = Object.assign(window.FixtureEditors || {}, { tiptap: { mount } });
