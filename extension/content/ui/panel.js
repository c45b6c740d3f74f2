'use strict';
// The warning panel shown while a post is held: why (each finding, its words marked in the
// reply), the helper's rewrite, and three ways on. Light DOM at the end of <body>, styled only
// through selectors scoped to [data-toontje-panel], so the site and the panel leave each other alone.
(function definePanel(Toontje) {
  const { t, categoryLabel } = Toontje.i18n;
  const { element } = Toontje.dom;
  let panelCount = 0;

  /** Findings with words to mark, in text order, skipping any that overlap one already marked. */
  function markableRanges(text, findings) {
    const ranges = findings
      .filter((finding) => Number.isInteger(finding.start) && Number.isInteger(finding.end)
        && finding.start >= 0 && finding.end > finding.start && finding.end <= text.length)
      .sort((a, b) => a.start - b.start || b.end - a.end);
    const chosen = [];
    for (const finding of ranges) {
      if (!chosen.length || finding.start >= chosen[chosen.length - 1].end) chosen.push(finding);
    }
    return chosen;
  }

  // Offsets are UTF-16 code units, which is what JavaScript string indices are, so slicing is exact.
  function renderReply(text, findings) {
    const reply = element('p', 'toontje-panel__reply', { 'data-toontje-reply': '' });
    let position = 0;
    for (const finding of markableRanges(text, findings)) {
      if (finding.start > position) reply.append(text.slice(position, finding.start));
      const mark = element('mark', `toontje-panel__mark toontje-panel__mark--${finding.severity}`, {
        'data-start': finding.start,
        'data-end': finding.end,
        'data-rule': finding.rule,
        'data-category': finding.category,
      });
      mark.textContent = text.slice(finding.start, finding.end);
      reply.append(mark);
      position = finding.end;
    }
    if (position < text.length) reply.append(text.slice(position));
    return reply;
  }

  function renderFinding(finding, text) {
    const item = element('li', `toontje-panel__finding toontje-panel__finding--${finding.severity}`, {
      'data-finding': '',
      'data-rule': finding.rule,
      'data-category': finding.category,
      'data-severity': finding.severity,
      'data-start': finding.start,
      'data-end': finding.end,
    });
    const category = element('strong', 'toontje-panel__category');
    category.textContent = categoryLabel(finding.category);
    item.append(category);
    if (finding.end > finding.start) {
      const quote = element('q', 'toontje-panel__quote');
      quote.textContent = text.slice(finding.start, finding.end);
      item.append(' ', quote);
    }
    const message = element('span', 'toontje-panel__message');
    message.textContent = finding.message;
    item.append(' ', message);
    if (finding.replacements?.length) {
      const replacements = element('span', 'toontje-panel__replacements');
      replacements.textContent = t('panelReplacements', finding.replacements.join(' / '));
      item.append(' ', replacements);
    }
    return item;
  }

  const SEVERITY_ORDER = { warn: 0, review: 1 };

  /**
   * Opens the panel for a held post. handlers: onUseRewrite(rewriteText), onEdit(), onPostAnyway().
   * Returns {element, setRewrite(result), close()}; result is {text} or {failed: true}.
   */
  function openPanel(box, boxId, { text, analysis, handlers }) {
    panelCount += 1;
    const titleId = `toontje-panel-title-${panelCount}`;
    const root = element('div', 'toontje-panel', {
      'data-toontje-panel': '',
      'data-toontje-for': boxId,
      role: 'dialog',
      'aria-modal': 'false',
      'aria-labelledby': titleId,
      tabindex: '-1',
      lang: analysis.lang ?? '',
    });
    const title = element('h2', 'toontje-panel__title', { id: titleId });
    title.textContent = t('panelTitle');
    const intro = element('p', 'toontje-panel__intro');
    intro.textContent = t('panelIntro');
    root.append(title, intro);

    const findings = [...analysis.findings].sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 2) - (SEVERITY_ORDER[b.severity] ?? 2)
      || a.start - b.start);
    // Seed 000 (5): an agent whose own anger shows is better off stepping back for a moment.
    if (findings.some((finding) => finding.category === 'emotional')) {
      const pause = element('p', 'toontje-panel__pause');
      pause.textContent = t('panelEmotionalAdvice');
      root.append(pause);
    }

    const replyHeading = element('h3', 'toontje-panel__heading');
    replyHeading.textContent = t('panelYourReply');
    root.append(replyHeading, renderReply(text, findings));
    const list = element('ul', 'toontje-panel__findings');
    for (const finding of findings) list.append(renderFinding(finding, text));
    root.append(list);

    const rewriteHeading = element('h3', 'toontje-panel__heading');
    rewriteHeading.textContent = t('panelRewriteHeading');
    const rewrite = element('p', 'toontje-panel__rewrite', { 'data-toontje-rewrite': '', 'aria-busy': 'true' });
    rewrite.textContent = t('panelRewriteLoading');
    root.append(rewriteHeading, rewrite);

    const actions = element('div', 'toontje-panel__actions');
    const useRewrite = element('button', 'toontje-panel__button toontje-panel__button--primary', {
      type: 'button', 'data-action': 'use-rewrite',
    });
    useRewrite.textContent = t('panelUseRewrite');
    useRewrite.disabled = true;
    const edit = element('button', 'toontje-panel__button', { type: 'button', 'data-action': 'edit' });
    edit.textContent = t('panelEdit');
    const postAnyway = element('button', 'toontje-panel__button', { type: 'button', 'data-action': 'post-anyway' });
    postAnyway.textContent = t('panelPostAnyway');
    actions.append(useRewrite, edit, postAnyway);
    const hint = element('p', 'toontje-panel__hint');
    hint.textContent = t('panelKeyboardHint');
    root.append(actions, hint);

    let rewriteText = null;
    let closed = false;

    // One choice per panel: a second click (or Enter held down) must not act twice.
    function choose(handler) {
      if (closed) return;
      close();
      handler();
    }
    useRewrite.addEventListener('click', () => {
      if (rewriteText !== null) choose(() => handlers.onUseRewrite(rewriteText));
    });
    edit.addEventListener('click', () => choose(handlers.onEdit));
    postAnyway.addEventListener('click', () => choose(handlers.onPostAnyway));

    root.addEventListener('keydown', (event) => {
      // Keys typed in the panel belong to the panel, not to the site's shortcuts.
      event.stopPropagation();
      if (event.key === 'Escape') {
        event.preventDefault();
        choose(handlers.onEdit);
      } else if (event.key === 'Tab') {
        keepTabInside(event);
      }
    });

    function keepTabInside(event) {
      const focusable = [...root.querySelectorAll('button')].filter((button) => !button.disabled);
      if (!focusable.length) return;
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      const active = document.activeElement;
      if (event.shiftKey && (active === first || active === root)) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && active === last) {
        event.preventDefault();
        first.focus();
      }
    }

    document.body.append(root);
    Toontje.anchor.attach(root, box, 'panel');
    root.focus({ preventScroll: true });

    function setRewrite(result) {
      if (closed) return;
      rewrite.setAttribute('aria-busy', 'false');
      if (result?.text) {
        rewriteText = result.text;
        rewrite.textContent = result.text;
        useRewrite.disabled = false;
      } else {
        rewrite.textContent = t('panelRewriteUnavailable');
        rewrite.classList.add('toontje-panel__rewrite--missing');
      }
      Toontje.anchor.refresh();
    }

    function close() {
      if (closed) return;
      closed = true;
      Toontje.anchor.detach(root);
      root.remove();
    }

    return { element: root, setRewrite, close };
  }

  Toontje.ui ??= {};
  Toontje.ui.openPanel = openPanel;
})(globalThis.Toontje);
