// Real Lexical (Meta's editor used by Facebook) for the Facebook fixture page.
import {
  $createParagraphNode,
  $getRoot,
  COMMAND_PRIORITY_HIGH,
  KEY_ENTER_COMMAND,
  createEditor,
} from 'lexical';
import { registerPlainText } from '@lexical/plain-text';
import { createEmptyHistoryState, registerHistory } from '@lexical/history';
import { mergeRegister } from '@lexical/utils';

/**
 * Mount a Lexical plain-text editor on `root` (which must carry contenteditable="true").
 * `onSubmit(text)` is called when Enter without Shift is pressed; like Facebook, Shift+Enter
 * inserts a line break and Enter during IME composition does nothing.
 */
function mount(root, { onSubmit, onChange }) {
  const editor = createEditor({
    namespace: 'fixture-facebook',
    onError(error) {
      console.error(error);
    },
  });
  editor.setRootElement(root);
  const getText = () => editor.getEditorState().read(() => $getRoot().getTextContent());
  const clear = () => {
    editor.update(() => {
      const rootNode = $getRoot();
      rootNode.clear();
      rootNode.append($createParagraphNode());
    });
  };
  const unregister = mergeRegister(
    registerPlainText(editor),
    registerHistory(editor, createEmptyHistoryState(), 300),
    editor.registerCommand(
      KEY_ENTER_COMMAND,
      (event) => {
        if (event === null) return false;
        if (event.isComposing || event.keyCode === 229) {
          event.preventDefault();
          return true;
        }
        if (event.shiftKey) return false; // plain-text turns it into a line break
        event.preventDefault();
        onSubmit(getText());
        return true;
      },
      COMMAND_PRIORITY_HIGH,
    ),
    editor.registerUpdateListener(() => onChange(getText())),
  );
  return {
    kind: 'lexical',
    editor,
    getText,
    clear,
    destroy() {
      unregister();
      editor.setRootElement(null);
    },
  };
}

window.FixtureEditors = Object.assign(window.FixtureEditors || {}, { lexical: { mount } });
