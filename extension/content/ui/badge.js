'use strict';
// The small tone badge beside a comment box. It is a polite live region, never takes focus
// from the editor (mousedown is cancelled on its buttons) and floats outside the site's tree.
(function defineBadge(Toontje) {
  const { t } = Toontje.i18n;
  const { element } = Toontje.dom;

  const STATE_LABELS = Object.freeze({
    ok: () => t('badgeOk'),
    review: () => t('badgeReview'),
    warn: () => t('badgeWarn'),
    offline: () => t('badgeOffline'),
    paused: () => t('badgePaused'),
    checking: () => t('badgeChecking'),
  });

  // Clicking a badge button must leave the caret where it was in the editor.
  function keepEditorFocus(button) {
    button.addEventListener('mousedown', (event) => event.preventDefault());
  }

  /**
   * Creates the badge for one box. onUndo is called when the user asks to undo a rewrite.
   * Returns {show({state, summary, details}), setUndoAvailable(bool), destroy()}.
   */
  function createBadge(box, boxId, { onUndo }) {
    const root = element('div', 'toontje-badge', {
      'data-toontje-badge': '',
      'data-toontje-for': boxId,
      'data-state': 'checking',
      role: 'status',
      'aria-live': 'polite',
    });
    const toggle = element('button', 'toontje-badge__toggle', { type: 'button', 'aria-expanded': 'false' });
    const dot = element('span', 'toontje-badge__dot', { 'aria-hidden': 'true' });
    const product = element('span', 'toontje-visually-hidden');
    product.textContent = 'Toontje: ';
    const label = element('span', 'toontje-badge__label');
    toggle.append(dot, product, label);
    const undo = element('button', 'toontje-badge__undo', { type: 'button', 'data-action': 'undo' });
    undo.textContent = t('badgeUndo');
    undo.hidden = true;
    const details = element('div', 'toontje-badge__details');
    details.hidden = true;
    root.append(toggle, undo, details);

    keepEditorFocus(toggle);
    keepEditorFocus(undo);
    toggle.addEventListener('click', () => {
      const expand = details.hidden && details.childElementCount > 0;
      details.hidden = !expand;
      toggle.setAttribute('aria-expanded', String(expand));
      Toontje.anchor.refresh();
    });
    undo.addEventListener('click', () => onUndo());

    document.body.append(root);
    Toontje.anchor.attach(root, box, 'badge');

    function show({ state, summary = '', details: lines = [] }) {
      root.dataset.state = state;
      // "checking" is brief and frequent: keep the last verdict's words so screen readers are not
      // told "checking" at every pause in typing, and mark the region busy instead.
      root.setAttribute('aria-busy', String(state === 'checking'));
      if (state !== 'checking' || !label.textContent) label.textContent = STATE_LABELS[state]();
      toggle.title = summary;
      if (state === 'checking') return;
      details.replaceChildren();
      if (summary) {
        const summaryLine = element('p', 'toontje-badge__summary');
        summaryLine.textContent = summary;
        details.append(summaryLine);
      }
      if (lines.length) {
        const list = element('ul', 'toontje-badge__advice');
        for (const line of lines) {
          const item = element('li');
          item.textContent = line;
          list.append(item);
        }
        details.append(list);
      }
      if (!details.childElementCount) {
        details.hidden = true;
        toggle.setAttribute('aria-expanded', 'false');
      }
      Toontje.anchor.refresh();
    }

    function setUndoAvailable(available) {
      undo.hidden = !available;
      Toontje.anchor.refresh();
    }

    function destroy() {
      Toontje.anchor.detach(root);
      root.remove();
    }

    return { show, setUndoAvailable, destroy };
  }

  Toontje.ui ??= {};
  Toontje.ui.createBadge = createBadge;
})(globalThis.Toontje);
