'use strict';
// UI strings. With uiLanguage "auto" chrome.i18n picks the browser's language; when the user
// forces "nl" or "en" we read that locale's messages.json ourselves, because chrome.i18n
// always follows the browser.
(function defineI18n(Toontje) {
  let forcedMessages = null;
  let activeLanguage = 'en';

  function browserLanguage() {
    return chrome.i18n.getUILanguage().toLowerCase().startsWith('nl') ? 'nl' : 'en';
  }

  async function fetchLocaleMessages(language) {
    const runsInExtensionOrigin = globalThis.location?.origin === new URL(chrome.runtime.getURL('')).origin;
    if (runsInExtensionOrigin) {
      const response = await fetch(chrome.runtime.getURL(`_locales/${language}/messages.json`));
      return response.json();
    }
    // A content script may not fetch extension files that are not web-accessible; the service worker may.
    const table = await chrome.runtime.sendMessage({ type: Toontje.MessageType.GET_LOCALE_MESSAGES, language });
    if (!table) throw new Error(`no messages for ${language}`);
    return table;
  }

  async function init(uiLanguage) {
    forcedMessages = null;
    activeLanguage = browserLanguage();
    if (uiLanguage !== 'nl' && uiLanguage !== 'en') return;
    try {
      forcedMessages = await fetchLocaleMessages(uiLanguage);
      activeLanguage = uiLanguage;
    } catch {
      // Falling back to the browser's language beats showing keys.
    }
  }

  // Same substitution rules as chrome.i18n: named $PLACEHOLDERS$ map to $1..$9, "$$" is a dollar.
  function format(entry, substitutions) {
    const withPlaceholders = entry.message.replace(/\$([A-Za-z0-9_@]+)\$/g, (whole, name) => {
      const placeholders = entry.placeholders ?? {};
      const match = Object.keys(placeholders).find((key) => key.toLowerCase() === name.toLowerCase());
      return match ? placeholders[match].content : whole;
    });
    return withPlaceholders
      .replace(/\$(\d)/g, (whole, digit) => String(substitutions[Number(digit) - 1] ?? ''))
      .replace(/\$\$/g, '$');
  }

  function t(key, ...substitutions) {
    const entry = forcedMessages?.[key];
    if (entry) return format(entry, substitutions);
    return chrome.i18n.getMessage(key, substitutions.map(String)) || key;
  }

  /** Fills every element marked data-i18n / data-i18n-title / data-i18n-aria-label / data-i18n-placeholder. */
  function translateDocument(root = document) {
    for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
    for (const element of root.querySelectorAll('[data-i18n-title]')) element.title = t(element.dataset.i18nTitle);
    for (const element of root.querySelectorAll('[data-i18n-aria-label]')) {
      element.setAttribute('aria-label', t(element.dataset.i18nAriaLabel));
    }
    for (const element of root.querySelectorAll('[data-i18n-placeholder]')) {
      element.placeholder = t(element.dataset.i18nPlaceholder);
    }
    if (root.documentElement) root.documentElement.lang = activeLanguage;
  }

  // Literal keys (not built from the id) so the static test can check each one exists.
  const CATEGORY_LABELS = Object.freeze({
    argumentative: () => t('categoryArgumentative'),
    attacking: () => t('categoryAttacking'),
    defensive: () => t('categoryDefensive'),
    impatient: () => t('categoryImpatient'),
    dismissive: () => t('categoryDismissive'),
    emotional: () => t('categoryEmotional'),
    'missing-name': () => t('categoryMissingName'),
    'missing-empathy': () => t('categoryMissingEmpathy'),
    'missing-private-channel': () => t('categoryMissingPrivateChannel'),
    cliche: () => t('categoryCliche'),
    'register-mismatch': () => t('categoryRegisterMismatch'),
    'empty-promise': () => t('categoryEmptyPromise'),
    'missing-thanks': () => t('categoryMissingThanks'),
  });

  /** The category's name in the UI language; an unknown (e.g. house-rule) category shows its id. */
  function categoryLabel(category) {
    return CATEGORY_LABELS[category]?.() ?? category;
  }

  Toontje.i18n = Object.freeze({
    init,
    t,
    categoryLabel,
    translateDocument,
    get language() {
      return activeLanguage;
    },
  });
})(globalThis.Toontje ??= {});
