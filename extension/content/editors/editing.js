'use strict';
// What every editor module shares: reading the text the way a site posts it, and the one way of
// replacing it that the editors accept from outside (their own state changes, one undo step).
(function defineEditing(Toontje) {
  const BLOCK_TAGS = new Set([
    'P', 'DIV', 'LI', 'UL', 'OL', 'BLOCKQUOTE', 'PRE', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6',
  ]);
  // Editors park the caret in zero-width characters (Lexical, Quill's cursor blot); never part of a post.
  const INVISIBLE_CHARACTERS = /[\u200B\uFEFF]/g;
  // Editors need the selection change before an insertion; when selectAll changes nothing no event comes.
  const SELECTION_WAIT_LIMIT_MS = 150;
  const SETTLE_DELAY_MS = 30;

  /**
   * The box's text as the site would post it: paragraphs joined by "\n", <br> as "\n", the
   * placeholder <br> that ends a paragraph ignored, emoji images as their alt text.
   */
  function readBlockText(root) {
    const blocks = [];
    let current = null;
    const append = (text, isBreak) => {
      current ??= { text: '', endsWithBreak: false };
      current.text += text;
      current.endsWithBreak = isBreak;
    };
    const closeBlock = () => {
      if (!current) return;
      blocks.push(current.endsWithBreak ? current.text.slice(0, -1) : current.text);
      current = null;
    };
    const visit = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) {
          const text = child.data.replace(INVISIBLE_CHARACTERS, '').replace(/\u00A0/g, ' ');
          if (text) append(text, false);
        } else if (child.nodeType === Node.ELEMENT_NODE && !child.hidden) {
          if (child.tagName === 'BR') append('\n', true);
          else if (child.tagName === 'IMG') {
            const alt = child.getAttribute('alt');
            if (alt) append(alt, false);
          } else if (BLOCK_TAGS.has(child.tagName)) {
            closeBlock();
            visit(child);
            closeBlock();
          } else {
            visit(child);
          }
        }
      }
    };
    visit(root);
    closeBlock();
    return blocks.join('\n');
  }

  const nextMacrotask = () => new Promise((resolve) => setTimeout(resolve, 0));
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function nextSelectionChange() {
    return new Promise((resolve) => {
      const done = () => {
        document.removeEventListener('selectionchange', done);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, SELECTION_WAIT_LIMIT_MS);
      document.addEventListener('selectionchange', done);
    });
  }

  /**
   * Focuses the box and selects all of its content, then waits until the editor has seen the new
   * selection (inserting right away is silently reverted by Lexical). False when the selection
   * did not land inside the box, so nothing is inserted in the wrong place.
   */
  async function selectAllInBox(box) {
    box.focus({ preventScroll: true });
    const selectionSeen = nextSelectionChange();
    document.execCommand('selectAll');
    await selectionSeen;
    await nextMacrotask();
    const selection = document.getSelection();
    return Boolean(selection?.rangeCount) && box.contains(selection.anchorNode) && box.contains(selection.focusNode);
  }

  // The box is not needed: execCommand works on the focused editor, which selectAllInBox made it.
  function insertWithCommand(box, text) {
    return text ? document.execCommand('insertText', false, text) : document.execCommand('delete');
  }

  function insertWithPaste(box, text) {
    const data = new DataTransfer();
    data.setData('text/plain', text);
    box.dispatchEvent(new ClipboardEvent('paste', {
      clipboardData: data, bubbles: true, cancelable: true, composed: true,
    }));
  }

  /** Compares what the box shows with what we meant to put there, ignoring a trailing newline. */
  function sameText(actual, expected) {
    const normalize = (text) => text.replace(/\n+$/, '');
    return normalize(actual) === normalize(expected);
  }

  /**
   * Replaces all text with one insertion and reports whether the editor now holds it. Exactly one
   * insertion method runs: stacking methods is how other projects got the text two or three times.
   */
  async function replaceAllText(box, text, insert) {
    if (!(await selectAllInBox(box))) return false;
    insert(box, text);
    await sleep(SETTLE_DELAY_MS);
    return sameText(readBlockText(box), text);
  }

  /**
   * An editor module: what every editor shares (reading the rendered blocks, replacing all text
   * in one step) around the two things that differ per editor: `insert(box, text)`, the
   * insertion the editor takes into its own state, and `historyGroupDelayMs`, how long after the
   * last change the editor's history starts a new undo step.
   */
  function editorModule({ name, historyGroupDelayMs, insert }) {
    return Object.freeze({
      name,
      historyGroupDelayMs,
      readText: readBlockText,
      replaceText: (box, text) => replaceAllText(box, text, insert),
    });
  }

  Toontje.editing = Object.freeze({
    editorModule,
    readBlockText,
    insertWithCommand,
    insertWithPaste,
    sameText,
    sleep,
    nextMacrotask,
    nextSelectionChange,
  });
  Toontje.editors ??= {};
})(globalThis.Toontje ??= {});
