'use strict';
(async function runOptions(Toontje) {
  const { MessageType, Settings, i18n, renderHelperStatus } = Toontje;
  const { t } = i18n;
  let settings = await Settings.load();
  await i18n.init(settings.uiLanguage);
  i18n.translateDocument();

  const helperUrl = document.getElementById('helper-url');
  const helperUrlError = document.getElementById('helper-url-error');
  const timeout = document.getElementById('helper-timeout');
  const categories = document.getElementById('hold-categories');
  const readContext = document.getElementById('read-context');
  const countEvents = document.getElementById('count-events');
  const language = document.getElementById('ui-language');
  const saved = document.getElementById('saved');
  const status = document.getElementById('helper-status');
  timeout.min = String(Settings.TIMEOUT_LIMITS_MS.min);
  timeout.max = String(Settings.TIMEOUT_LIMITS_MS.max);

  for (const category of Settings.WARN_CATEGORIES) {
    const label = document.createElement('label');
    label.className = 'options__check';
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.value = category;
    const name = document.createElement('span');
    name.dataset.category = category;
    label.append(input, ' ', name);
    categories.append(label);
  }

  function showSettings() {
    // A field the user is typing in keeps their text; it is saved (or refused) when they leave it.
    if (document.activeElement !== helperUrl) helperUrl.value = settings.helperUrl;
    if (document.activeElement !== timeout) timeout.value = String(settings.helperTimeoutMs);
    for (const input of categories.querySelectorAll('input')) input.checked = settings.holdCategories.includes(input.value);
    for (const name of categories.querySelectorAll('[data-category]')) name.textContent = i18n.categoryLabel(name.dataset.category);
    readContext.checked = settings.readContext;
    countEvents.checked = settings.countEvents;
    language.value = settings.uiLanguage;
  }
  showSettings();

  async function save(changes) {
    settings = await Settings.save(changes);
    saved.textContent = t('optionsSaved');
  }

  async function saveHelperUrl() {
    const normalized = Settings.normalizeHelperUrl(helperUrl.value);
    if (!normalized) {
      helperUrlError.textContent = t('optionsHelperUrlInvalid');
      helperUrl.setAttribute('aria-invalid', 'true');
      return;
    }
    helperUrlError.textContent = '';
    helperUrl.removeAttribute('aria-invalid');
    helperUrl.value = normalized;
    await save({ helperUrl: normalized });
    checkHelper();
  }
  document.getElementById('save-helper-url').addEventListener('click', saveHelperUrl);
  helperUrl.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') saveHelperUrl();
  });

  timeout.addEventListener('change', async () => {
    // An emptied field (or one the browser could not read as a number) means no change, not 0 ms.
    if (timeout.value.trim() === '') {
      timeout.value = String(settings.helperTimeoutMs);
      return;
    }
    await save({ helperTimeoutMs: Number(timeout.value) });
    // The stored value is clamped to the allowed range; show what was kept.
    timeout.value = String(settings.helperTimeoutMs);
  });
  categories.addEventListener('change', () => save({
    holdCategories: [...categories.querySelectorAll('input:checked')].map((input) => input.value),
  }));
  readContext.addEventListener('change', () => save({ readContext: readContext.checked }));
  countEvents.addEventListener('change', () => save({ countEvents: countEvents.checked }));
  language.addEventListener('change', async () => {
    await save({ uiLanguage: language.value });
    await i18n.init(settings.uiLanguage);
    i18n.translateDocument();
    showSettings();
    // showSettings() put the stored (valid) URL back, and the notices were worded in the old language.
    helperUrlError.textContent = '';
    helperUrl.removeAttribute('aria-invalid');
    saved.textContent = t('optionsSaved');
    checkHelper();
  });

  // The popup, another options tab or Chrome sync may change settings while this page is open.
  Settings.onChange((current) => {
    settings = current;
    showSettings();
  });

  async function checkHelper() {
    renderHelperStatus(status, null);
    renderHelperStatus(status, await chrome.runtime.sendMessage({ type: MessageType.CHECK_HELPER_NOW }));
  }
  document.getElementById('check-helper').addEventListener('click', checkHelper);
  checkHelper();
})(globalThis.Toontje);
