'use strict';
// The one place that knows the settings, their defaults and what a valid value is.
// Content scripts, extension pages and the service worker all read settings through here.
(function defineSettings(Toontje) {
  const WARN_CATEGORIES = Object.freeze([
    'argumentative', 'attacking', 'defensive', 'impatient', 'dismissive', 'emotional',
  ]);
  const SITE_IDS = Object.freeze(['facebook', 'linkedin']);
  const UI_LANGUAGES = Object.freeze(['auto', 'nl', 'en']);
  const TIMEOUT_LIMITS_MS = Object.freeze({ min: 200, max: 5000 });
  // The host permissions cover only these hosts, so any other helper URL could never be reached.
  const LOOPBACK_HOSTS = Object.freeze(['127.0.0.1', 'localhost']);

  const DEFAULTS = Object.freeze({
    enabled: true,
    sites: Object.freeze({ facebook: true, linkedin: true }),
    helperUrl: 'http://127.0.0.1:8765',
    holdCategories: WARN_CATEGORIES,
    readContext: true,
    uiLanguage: 'auto',
    helperTimeoutMs: 800,
    countEvents: true,
  });

  /** Returns the helper's origin ("http://127.0.0.1:8765") or null when the URL is unusable. */
  function normalizeHelperUrl(value) {
    if (typeof value !== 'string') return null;
    let url;
    try {
      url = new URL(value.trim());
    } catch {
      return null;
    }
    if (url.protocol !== 'http:') return null;
    if (!LOOPBACK_HOSTS.includes(url.hostname)) return null;
    if (url.username || url.password || url.search || url.hash) return null;
    if (url.pathname !== '/' && url.pathname !== '') return null;
    return url.origin;
  }

  function normalize(stored) {
    const source = stored && typeof stored === 'object' ? stored : {};
    const sites = {};
    for (const siteId of SITE_IDS) {
      sites[siteId] = typeof source.sites?.[siteId] === 'boolean' ? source.sites[siteId] : DEFAULTS.sites[siteId];
    }
    const timeout = Number(source.helperTimeoutMs);
    return {
      enabled: typeof source.enabled === 'boolean' ? source.enabled : DEFAULTS.enabled,
      sites,
      helperUrl: normalizeHelperUrl(source.helperUrl) ?? DEFAULTS.helperUrl,
      holdCategories: Array.isArray(source.holdCategories)
        ? WARN_CATEGORIES.filter((category) => source.holdCategories.includes(category))
        : [...DEFAULTS.holdCategories],
      readContext: typeof source.readContext === 'boolean' ? source.readContext : DEFAULTS.readContext,
      uiLanguage: UI_LANGUAGES.includes(source.uiLanguage) ? source.uiLanguage : DEFAULTS.uiLanguage,
      helperTimeoutMs: Number.isFinite(timeout)
        ? Math.min(TIMEOUT_LIMITS_MS.max, Math.max(TIMEOUT_LIMITS_MS.min, Math.round(timeout)))
        : DEFAULTS.helperTimeoutMs,
      countEvents: typeof source.countEvents === 'boolean' ? source.countEvents : DEFAULTS.countEvents,
    };
  }

  async function load() {
    return normalize(await chrome.storage.sync.get(null));
  }

  /** Stores only the given keys, after validating them through normalize(). */
  async function save(changes) {
    const current = await load();
    const next = normalize({ ...current, ...changes });
    const toStore = {};
    for (const key of Object.keys(changes)) toStore[key] = next[key];
    await chrome.storage.sync.set(toStore);
    return next;
  }

  /** Calls listener(settings) whenever a stored setting changes. */
  function onChange(listener) {
    chrome.storage.onChanged.addListener((changes, area) => {
      if (area === 'sync') load().then(listener);
    });
  }

  Toontje.Settings = Object.freeze({
    WARN_CATEGORIES,
    SITE_IDS,
    TIMEOUT_LIMITS_MS,
    DEFAULTS,
    normalize,
    normalizeHelperUrl,
    load,
    save,
    onChange,
  });
})(globalThis.Toontje ??= {});
