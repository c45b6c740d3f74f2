'use strict';
// Orchestration: finds the comment boxes of this site, keeps each box's badge up to date while
// the agent types, and holds a post that the helper says would escalate. Reply text lives only
// in memory here and goes only to our own service worker.
(function runToontje(Toontje) {
  const { MessageType, CountedEvent, HelperFailure, Settings, i18n, editing } = Toontje;
  const { t, categoryLabel } = i18n;
  const site = Object.values(Toontje.sites).find((candidate) => candidate.matchesHost(location.hostname));
  if (!site) return;

  const ANALYSIS_DEBOUNCE_MS = 300;
  const DISCOVERY_THROTTLE_MS = 250;
  const ANALYSIS_CACHE_LIMIT = 100;
  // After a re-posted Enter nobody handled, how long the box may keep its text before the send
  // control is clicked instead.
  const REPOST_CONFIRM_MS = 400;

  let settings = Settings.DEFAULTS;
  let active = false;
  let nextBoxId = 1;
  /** @type {Map<Element, object>} box element -> its state */
  const boxes = new Map();
  // Analyses by text and context, newest last; a Map keeps insertion order, so it doubles as an LRU.
  const analyses = new Map();
  // The box whose post we are re-dispatching right now: our own listeners let exactly that
  // synchronous event through (a one-shot bypass that cannot leak into a later post).
  let repostingBox = null;
  // Why the helper is unreachable (offline or timeout) until it answers again; an empty box then
  // keeps explaining that posts go through unchecked.
  let helperUnreachable = null;

  // ---- Talking to the service worker -------------------------------------------------------

  async function ask(message) {
    try {
      const reply = await chrome.runtime.sendMessage(message);
      return reply ?? { ok: false, failure: HelperFailure.ERROR };
    } catch {
      // The extension was reloaded or updated under this page: behave as if the helper were down.
      return { ok: false, failure: HelperFailure.OFFLINE };
    }
  }

  function withTimeout(promise, timeoutMs) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ ok: false, failure: HelperFailure.TIMEOUT }), timeoutMs);
      promise.then((value) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
  }

  function cacheKey(text, context) {
    return JSON.stringify([text, context?.comment ?? '', context?.author ?? '']);
  }

  function remember(key, analysis) {
    analyses.delete(key);
    analyses.set(key, analysis);
    if (analyses.size > ANALYSIS_CACHE_LIMIT) analyses.delete(analyses.keys().next().value);
  }

  function noteFailure(failure) {
    if (failure === HelperFailure.OFFLINE || failure === HelperFailure.TIMEOUT) helperUnreachable = failure;
  }

  async function analyze(text, context) {
    const result = await ask({ type: MessageType.ANALYZE, text, context });
    if (!result.ok) {
      noteFailure(result.failure);
      return result;
    }
    helperUnreachable = null;
    if (!Array.isArray(result.data?.findings) || typeof result.data.verdict !== 'string') {
      return { ok: false, failure: HelperFailure.ERROR };
    }
    remember(cacheKey(text, context), result.data);
    return result;
  }

  function reportEvent(eventType, category) {
    ask({ type: MessageType.REPORT_EVENT, eventType, category, site: site.id });
  }

  function contextFor(box) {
    if (!settings.readContext) return null;
    try {
      return site.readContext(box);
    } catch {
      // A page we do not understand means no context, never a broken box.
      return null;
    }
  }

  // ---- Verdicts and the badge --------------------------------------------------------------

  function heldFindings(analysis) {
    if (analysis?.verdict !== 'warn') return [];
    return analysis.findings.filter((finding) => finding.severity === 'warn'
      && settings.holdCategories.includes(finding.category));
  }

  function holdsPost(analysis) {
    return heldFindings(analysis).length > 0;
  }

  // One line per distinct piece of advice: a rule that fires twice says the same thing twice.
  function adviceLines(findings) {
    return [...new Set(findings.map((finding) => `${categoryLabel(finding.category)}: ${finding.message}`))];
  }

  function showAnalysis(state, analysis) {
    const holding = holdsPost(analysis);
    if (holding) {
      state.badge.show({ state: 'warn', summary: t('badgeWarnSummary'), details: adviceLines(heldFindings(analysis)) });
      if (state.shownState !== 'warn') reportEvent(CountedEvent.WARNING_SHOWN, heldFindings(analysis)[0].category);
      state.shownState = 'warn';
      return;
    }
    // A warning in a category the user chose not to hold for is still worth reading: amber.
    const advice = analysis.findings.filter((finding) => finding.severity === 'review' || analysis.verdict === 'warn');
    if (analysis.verdict === 'ok' || advice.length === 0) {
      state.badge.show({ state: 'ok', summary: t('badgeOkSummary') });
      state.shownState = 'ok';
      return;
    }
    state.badge.show({ state: 'review', summary: t('badgeReviewSummary'), details: adviceLines(advice) });
    state.shownState = 'review';
  }

  const FAILURE_SUMMARIES = Object.freeze({
    [HelperFailure.OFFLINE]: () => t('badgeHelperOffline'),
    [HelperFailure.TIMEOUT]: () => t('badgeHelperSlow'),
    [HelperFailure.REFUSED]: () => t('badgeHelperRefused'),
    [HelperFailure.ERROR]: () => t('badgeHelperError'),
    [HelperFailure.TOO_LONG]: () => t('badgeTooLong'),
  });

  function showFailure(state, failure) {
    // Too long is about this text, not about the helper: grey "paused", the helper is fine.
    const badgeState = failure === HelperFailure.TOO_LONG ? 'paused' : 'offline';
    const summary = (FAILURE_SUMMARIES[failure] ?? FAILURE_SUMMARIES[HelperFailure.ERROR])();
    state.badge.show({ state: badgeState, summary });
    state.shownState = badgeState;
  }

  function showWaiting(state) {
    if (helperUnreachable) {
      showFailure(state, helperUnreachable);
      return;
    }
    state.badge.show({ state: 'paused', summary: t('badgeEmptySummary') });
    state.shownState = 'paused';
  }

  async function analyzeForBadge(state) {
    const text = state.editor.readText(state.box);
    if (!text.trim()) {
      showWaiting(state);
      return;
    }
    const context = contextFor(state.box);
    const request = ++state.requestNumber;
    state.badge.show({ state: 'checking', summary: t('badgeCheckingSummary') });
    const result = await analyze(text, context);
    // A newer request or a removed box makes this answer stale.
    if (request !== state.requestNumber || boxes.get(state.box) !== state) return;
    if (result.ok) showAnalysis(state, result.data);
    else showFailure(state, result.failure);
  }

  function onBoxChanged(state) {
    const text = state.editor.readText(state.box);
    if (text === state.lastText) return;
    state.lastText = text;
    state.lastEditAt = performance.now();
    // Undo puts the original back over the whole text: offer it only while the rewrite is untouched.
    if (state.undo && !editing.sameText(text, state.undo.rewrite)) {
      state.undo = null;
      state.badge.setUndoAvailable(false);
    }
    // Editing a held reply is the "edit" choice: the findings no longer match the text.
    if (state.held && !state.replacing && !editing.sameText(text, state.held.text)) {
      state.held.panel.close();
      state.held = null;
    }
    clearTimeout(state.debounceTimer);
    if (!text.trim()) {
      state.requestNumber += 1;
      showWaiting(state);
      return;
    }
    const cached = analyses.get(cacheKey(text, contextFor(state.box)));
    if (cached && !cached.fromRewrite) {
      state.requestNumber += 1;
      showAnalysis(state, cached);
      return;
    }
    state.debounceTimer = setTimeout(() => analyzeForBadge(state), ANALYSIS_DEBOUNCE_MS);
  }

  // ---- Boxes -------------------------------------------------------------------------------

  function track(box) {
    const existing = boxes.get(box);
    if (existing) return existing;
    const state = {
      id: String(nextBoxId++),
      box,
      editor: site.editorFor(box),
      badge: null,
      lastText: null,
      lastEditAt: 0,
      debounceTimer: null,
      requestNumber: 0,
      shownState: null,
      pendingSubmit: false,
      replacing: false,
      held: null,
      undo: null,
    };
    box.setAttribute('data-toontje-box', state.id);
    state.badge = Toontje.ui.createBadge(box, state.id, { onUndo: () => undoRewrite(state) });
    // Lexical cancels beforeinput and renders itself, so "input" events are unreliable; the DOM
    // it renders is not.
    state.observer = new MutationObserver(() => onBoxChanged(state));
    state.observer.observe(box, { childList: true, characterData: true, subtree: true });
    boxes.set(box, state);
    onBoxChanged(state);
    return state;
  }

  function untrack(box) {
    const state = boxes.get(box);
    if (!state) return;
    boxes.delete(box);
    clearTimeout(state.debounceTimer);
    state.observer.disconnect();
    state.held?.panel.close();
    state.badge.destroy();
    box.removeAttribute('data-toontje-box');
  }

  // Boxes with text (a restored draft) get a badge straight away; empty ones when first focused,
  // so a feed with a box under every post is not covered in badges.
  function scanForBoxes() {
    for (const box of [...boxes.keys()]) {
      if (!box.isConnected) untrack(box);
    }
    for (const box of site.findBoxes(document)) {
      if (!boxes.has(box) && site.editorFor(box).readText(box).trim()) track(box);
    }
  }

  let scanTimer = null;
  const pageObserver = new MutationObserver(() => {
    if (scanTimer) return;
    scanTimer = setTimeout(() => {
      scanTimer = null;
      scanForBoxes();
      Toontje.anchor.refresh();
    }, DISCOVERY_THROTTLE_MS);
  });

  function onFocusIn(event) {
    const box = site.boxFromTarget(event.composedPath()[0]);
    if (box) track(box);
  }

  // ---- Holding and re-posting --------------------------------------------------------------

  function stopEvent(event) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  function saveSelection(box) {
    const selection = document.getSelection();
    if (!selection?.rangeCount || !box.contains(selection.anchorNode)) return null;
    return selection.getRangeAt(0).cloneRange();
  }

  /** Puts focus and caret back in the box and waits until the editor has seen the selection. */
  async function returnFocus(state, range) {
    const selectionSeen = editing.nextSelectionChange();
    state.box.focus({ preventScroll: true });
    if (range && state.box.contains(range.startContainer) && state.box.contains(range.endContainer)) {
      const selection = document.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    await selectionSeen;
    await editing.nextMacrotask();
  }

  function dispatchEnter(box) {
    const enter = new KeyboardEvent('keydown', {
      key: 'Enter', code: 'Enter', keyCode: 13, which: 13, bubbles: true, cancelable: true, composed: true,
    });
    box.dispatchEvent(enter);
    return enter.defaultPrevented;
  }

  /** Lets the site post what is in the box, exactly once, the way the agent tried to. */
  function repost(state, how) {
    const { box } = state;
    if (!box.isConnected) return;
    const text = state.editor.readText(box);
    let handled = true;
    repostingBox = box;
    try {
      if (how.via === 'button') {
        const control = how.control?.isConnected ? how.control : site.submitControlFor(box);
        control?.click();
      } else {
        handled = dispatchEnter(box);
      }
    } finally {
      repostingBox = null;
    }
    // An editor that handles Enter cancels it; if nobody did and the text is still there, the
    // site ignored a synthetic Enter, so its send control posts instead. Never both.
    if (how.via === 'enter' && !handled) {
      setTimeout(() => {
        const control = site.submitControlFor(box);
        if (!box.isConnected || !control || !site.isSubmitControlEnabled(control)) return;
        if (state.editor.readText(box) !== text) return;
        repostingBox = box;
        try {
          control.click();
        } finally {
          repostingBox = null;
        }
      }, REPOST_CONFIRM_MS);
    }
  }

  function requestRewrite(text, context) {
    return ask({ type: MessageType.REWRITE, text, context });
  }

  function holdWithPanel(state, text, context, analysis, how) {
    const category = heldFindings(analysis)[0].category;
    state.held = { text, how, range: saveSelection(state.box), panel: null, category };
    reportEvent(CountedEvent.POST_HELD, category);
    state.held.panel = Toontje.ui.openPanel(state.box, state.id, {
      text,
      analysis,
      handlers: {
        onUseRewrite: (rewriteText) => useRewrite(state, rewriteText),
        onEdit: () => backToEditing(state),
        onPostAnyway: () => postAnyway(state),
      },
    });
    const panel = state.held.panel;
    requestRewrite(text, context).then((result) => {
      if (!result.ok || typeof result.data?.text !== 'string' || !result.data.text.trim()) {
        panel.setRewrite({ failed: true });
        return;
      }
      // The helper promises its rewrite is not "warn": remember its verdict so posting the
      // rewrite is not held while the full analysis is still on its way.
      if (result.data.verdict && !analyses.has(cacheKey(result.data.text, context))) {
        remember(cacheKey(result.data.text, context), { verdict: result.data.verdict, findings: [], fromRewrite: true });
      }
      panel.setRewrite({ text: result.data.text });
    });
  }

  async function backToEditing(state) {
    const held = state.held;
    state.held = null;
    await returnFocus(state, held?.range);
  }

  async function postAnyway(state) {
    const held = state.held;
    state.held = null;
    if (!held) return;
    reportEvent(CountedEvent.POSTED_ANYWAY, held.category);
    await returnFocus(state, held.range);
    repost(state, held.how);
  }

  async function useRewrite(state, rewriteText) {
    const held = state.held;
    if (!held) return;
    // Wait out the editor's undo grouping so one Ctrl+Z undoes the rewrite and not the typing too.
    const sinceLastEdit = performance.now() - state.lastEditAt;
    if (sinceLastEdit < state.editor.historyGroupDelayMs) await editing.sleep(state.editor.historyGroupDelayMs - sinceLastEdit);
    state.replacing = true;
    let replaced = false;
    try {
      replaced = await state.editor.replaceText(state.box, rewriteText);
    } finally {
      state.replacing = false;
      state.held = null;
    }
    const now = state.editor.readText(state.box);
    // Whatever happened, the original stays one click away unless the box still holds it.
    if (!editing.sameText(now, held.text)) {
      state.undo = { original: held.text, rewrite: now };
      state.badge.setUndoAvailable(true);
    }
    if (replaced) reportEvent(CountedEvent.REWRITE_USED, held.category);
    else state.badge.show({ state: 'review', summary: t('badgeRewriteFailed') });
    onBoxChanged(state);
  }

  async function undoRewrite(state) {
    const undo = state.undo;
    if (!undo) return;
    state.undo = null;
    state.badge.setUndoAvailable(false);
    const restored = await state.editor.replaceText(state.box, undo.original);
    if (!restored) state.badge.show({ state: 'review', summary: t('badgeUndoFailed') });
  }

  // Lexical's mention typeahead marks the box while its list is open; Enter then picks a name.
  function suggestionListOpen(box) {
    return box.getAttribute('aria-expanded') === 'true' || Boolean(box.getAttribute('aria-activedescendant'));
  }

  async function interceptSubmit(event, state, how) {
    if (state.pendingSubmit || state.replacing) {
      // A second Enter while the first is being checked must not post twice.
      stopEvent(event);
      return;
    }
    if (state.held) {
      stopEvent(event);
      state.held.panel.element.focus();
      return;
    }
    const text = state.editor.readText(state.box);
    // The site ignores empty posts by itself.
    if (!text.trim()) return;
    const context = contextFor(state.box);
    const cached = analyses.get(cacheKey(text, context));
    if (cached) {
      if (holdsPost(cached)) {
        stopEvent(event);
        holdWithPanel(state, text, context, cached, how);
      }
      return;
    }
    // Unknown verdict: hold now (the site must not see this event), decide, then re-post.
    stopEvent(event);
    state.pendingSubmit = true;
    clearTimeout(state.debounceTimer);
    state.badge.show({ state: 'checking', summary: t('badgeCheckingSummary') });
    state.requestNumber += 1;
    const result = await withTimeout(analyze(text, context), settings.helperTimeoutMs);
    state.pendingSubmit = false;
    if (boxes.get(state.box) !== state) {
      // Switched off (or the box was re-created) meanwhile: the agent meant to post, so post.
      if (!active) repost(state, how);
      return;
    }
    if (result.ok) {
      showAnalysis(state, result.data);
      if (holdsPost(result.data)) {
        holdWithPanel(state, text, context, result.data, how);
        return;
      }
    } else {
      noteFailure(result.failure);
      showFailure(state, result.failure);
    }
    repost(state, how);
  }

  // Esc = edit also when the agent went back into the box while the panel is open: the panel
  // closes, the text and the caret stay as they are, and the site does not see this Esc.
  function onEscape(event) {
    if (event.isComposing || event.keyCode === 229) return;
    const box = site.boxFromTarget(event.composedPath()[0]);
    const state = box ? boxes.get(box) : null;
    if (!state?.held) return;
    stopEvent(event);
    state.held.panel.close();
    state.held = null;
  }

  function onKeyDown(event) {
    if (event.key === 'Escape') {
      onEscape(event);
      return;
    }
    if (event.key !== 'Enter' || event.shiftKey || event.ctrlKey || event.metaKey || event.altKey) return;
    // IME composition: this Enter confirms a candidate, it does not post.
    if (event.isComposing || event.keyCode === 229) return;
    const box = site.boxFromTarget(event.composedPath()[0]);
    if (!box || box === repostingBox || !site.postsOnEnter(box) || suggestionListOpen(box)) return;
    interceptSubmit(event, track(box), { via: 'enter' });
  }

  function onClick(event) {
    const control = site.submitControlFromTarget(event.composedPath()[0]);
    if (!control || !site.isSubmitControlEnabled(control)) return;
    const box = site.boxForSubmitControl(control);
    if (!box || box === repostingBox) return;
    interceptSubmit(event, track(box), { via: 'button', control });
  }

  // ---- Settings, on and off ----------------------------------------------------------------

  function shouldBeActive() {
    return settings.enabled && settings.sites[site.id] !== false;
  }

  function activate() {
    active = true;
    window.addEventListener('focusin', onFocusIn, true);
    window.addEventListener('keydown', onKeyDown, true);
    window.addEventListener('click', onClick, true);
    pageObserver.observe(document.documentElement, { childList: true, subtree: true });
    scanForBoxes();
    const focusedBox = site.boxFromTarget(document.activeElement);
    if (focusedBox) track(focusedBox);
  }

  function deactivate() {
    active = false;
    window.removeEventListener('focusin', onFocusIn, true);
    window.removeEventListener('keydown', onKeyDown, true);
    window.removeEventListener('click', onClick, true);
    pageObserver.disconnect();
    clearTimeout(scanTimer);
    scanTimer = null;
    for (const box of [...boxes.keys()]) untrack(box);
  }

  async function applySettings(next) {
    const previous = settings;
    settings = next;
    if (next.uiLanguage !== previous.uiLanguage) {
      await i18n.init(next.uiLanguage);
      // Badges and panels carry their words from creation: rebuild them in the new language.
      if (active) {
        deactivate();
      }
    }
    if (shouldBeActive() && !active) activate();
    else if (!shouldBeActive() && active) deactivate();
    else if (active) {
      for (const state of boxes.values()) {
        state.lastText = null;
        onBoxChanged(state);
      }
    }
  }

  chrome.runtime.onMessage.addListener((message) => {
    if (message?.type !== MessageType.HELPER_STATUS_CHANGED || !active) return;
    if (message.status?.state !== 'online') return;
    // The helper is back: boxes that went grey get a fresh look.
    helperUnreachable = null;
    for (const state of boxes.values()) {
      if (state.shownState === 'offline') analyzeForBadge(state);
    }
  });

  (async function start() {
    settings = await Settings.load();
    await i18n.init(settings.uiLanguage);
    Settings.onChange(applySettings);
    if (shouldBeActive()) activate();
  })();
})(globalThis.Toontje);
