'use strict';
// The only code that talks to the local helper. Content scripts would inherit the page's CORS
// rules and Local Network Access prompts; the extension's service worker counts as loopback.
// Reply text passes through here in memory only: it is never logged and never stored.
importScripts('/shared/messages.js', '/shared/settings.js');

const { MessageType, HelperFailure, Settings } = globalThis.Toontje;

// The user is already reading the held post's panel while the rewrite is fetched, so it may take
// longer than an analysis that decides whether a post waits.
const REWRITE_TIMEOUT_FLOOR_MS = 3000;
// Quick retries catch a helper that is being restarted; an alarm keeps looking after that, and
// also when Chrome stops this worker (and its timers) while the helper is away. Chrome runs
// alarms at most every 30 seconds.
const REDISCOVERY_DELAYS_MS = [1000, 2000, 4000, 8000, 16000];
const REDISCOVERY_ALARM = 'toontje-rediscover-helper';
const REDISCOVERY_ALARM_MINUTES = 0.5;

let settings = Settings.DEFAULTS;
const settingsLoaded = Settings.load().then((loaded) => {
  settings = loaded;
});
Settings.onChange((changed) => {
  const helperMoved = changed.helperUrl !== settings.helperUrl;
  settings = changed;
  if (helperMoved) {
    setHelperStatus({ state: 'unknown', version: null, failure: null });
    checkHelper();
  }
});

// "unknown" until the first call; a service worker that was asleep starts over here.
let helperStatus = { state: 'unknown', version: null, failure: null };
let rediscoveryAttempt = 0;
let rediscoveryTimer = null;

function setHelperStatus(next) {
  const changed = next.state !== helperStatus.state || next.version !== helperStatus.version
    || next.failure !== helperStatus.failure;
  helperStatus = next;
  if (changed) broadcastHelperStatus();
}

async function broadcastHelperStatus() {
  const message = { type: MessageType.HELPER_STATUS_CHANGED, status: helperStatus };
  // Open popups and options pages; nobody listening is normal.
  chrome.runtime.sendMessage(message).catch(() => {});
  const tabs = await chrome.tabs.query({});
  for (const tab of tabs) {
    // Tabs without our content script reject the message; that is expected.
    chrome.tabs.sendMessage(tab.id, message).catch(() => {});
  }
}

function markOnline(version) {
  rediscoveryAttempt = 0;
  clearTimeout(rediscoveryTimer);
  rediscoveryTimer = null;
  chrome.alarms.clear(REDISCOVERY_ALARM);
  setHelperStatus({ state: 'online', version: version ?? helperStatus.version, failure: null });
}

function markUnreachable(failure) {
  setHelperStatus({ state: 'offline', version: helperStatus.version, failure });
  scheduleRediscovery();
}

async function scheduleRediscovery() {
  if (!(await chrome.alarms.get(REDISCOVERY_ALARM))) {
    chrome.alarms.create(REDISCOVERY_ALARM, {
      delayInMinutes: REDISCOVERY_ALARM_MINUTES,
      periodInMinutes: REDISCOVERY_ALARM_MINUTES,
    });
  }
  if (rediscoveryTimer || rediscoveryAttempt >= REDISCOVERY_DELAYS_MS.length) return;
  const delay = REDISCOVERY_DELAYS_MS[rediscoveryAttempt];
  rediscoveryAttempt += 1;
  rediscoveryTimer = setTimeout(() => {
    rediscoveryTimer = null;
    checkHelper();
  }, delay);
}

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === REDISCOVERY_ALARM) checkHelper();
});

/**
 * One request to the helper. Resolves to {ok: true, data} or {ok: false, failure, code}; never
 * rejects, so callers cannot forget the helper-down path.
 */
async function callHelper(path, { body, timeoutMs }) {
  await settingsLoaded;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response;
  try {
    response = await fetch(`${settings.helperUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (error) {
    const failure = error.name === 'AbortError' ? HelperFailure.TIMEOUT : HelperFailure.OFFLINE;
    markUnreachable(failure);
    return { ok: false, failure };
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    // A non-JSON answer is not our helper (or a broken one); treated as an error below.
  }
  if (response.ok && data) {
    markOnline(path === '/v1/health' ? data.version : undefined);
    return { ok: true, data };
  }
  // The helper answered, so it is up, just unhappy with this request.
  if (helperStatus.state !== 'online') markOnline();
  const code = typeof data?.error?.code === 'string' ? data.error.code : null;
  if (response.status === 403) return { ok: false, failure: HelperFailure.REFUSED, code };
  if (response.status === 413) return { ok: false, failure: HelperFailure.TOO_LONG, code };
  return { ok: false, failure: HelperFailure.ERROR, code };
}

function analysisBody(message) {
  const body = { text: String(message.text ?? ''), lang: 'auto' };
  const comment = typeof message.context?.comment === 'string' ? message.context.comment : '';
  const author = typeof message.context?.author === 'string' ? message.context.author : '';
  if (comment || author) {
    body.context = {};
    if (comment) body.context.comment = comment;
    if (author) body.context.author = author;
  }
  return body;
}

async function checkHelper() {
  await settingsLoaded;
  const result = await callHelper('/v1/health', { timeoutMs: Math.max(settings.helperTimeoutMs, 1500) });
  return {
    ...helperStatus,
    languages: result.ok ? result.data.languages ?? null : null,
    helperUrl: settings.helperUrl,
  };
}

async function reportEvent(message) {
  await settingsLoaded;
  if (!settings.countEvents) return { ok: true, skipped: true };
  const allowedTypes = Object.values(globalThis.Toontje.CountedEvent);
  if (!allowedTypes.includes(message.eventType)) return { ok: false, failure: HelperFailure.ERROR };
  const event = {
    type: message.eventType,
    category: typeof message.category === 'string' ? message.category : null,
    site: Settings.SITE_IDS.includes(message.site) ? message.site : null,
    time: new Date().toISOString(),
  };
  return callHelper('/v1/events', { body: event, timeoutMs: Math.max(settings.helperTimeoutMs, 2000) });
}

async function localeMessages(language) {
  if (language !== 'nl' && language !== 'en') return null;
  const response = await fetch(chrome.runtime.getURL(`_locales/${language}/messages.json`));
  return response.json();
}

const handlers = {
  [MessageType.ANALYZE]: async (message) => {
    await settingsLoaded;
    return callHelper('/v1/analyze', { body: analysisBody(message), timeoutMs: settings.helperTimeoutMs });
  },
  [MessageType.REWRITE]: async (message) => {
    await settingsLoaded;
    const timeoutMs = Math.max(settings.helperTimeoutMs, REWRITE_TIMEOUT_FLOOR_MS);
    return callHelper('/v1/rewrite', { body: analysisBody(message), timeoutMs });
  },
  // The options page asks right after saving a new helper URL, which may be before
  // storage.onChanged has reached this worker: check with the settings as stored now.
  [MessageType.CHECK_HELPER_NOW]: async () => {
    await settingsLoaded;
    settings = await Settings.load();
    return checkHelper();
  },
  [MessageType.REPORT_EVENT]: (message) => reportEvent(message),
  [MessageType.GET_LOCALE_MESSAGES]: (message) => localeMessages(message.language),
};

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  // Only our own pages and content scripts may use the helper through us.
  if (sender.id !== chrome.runtime.id) return false;
  const handler = handlers[message?.type];
  if (!handler) return false;
  Promise.resolve(handler(message))
    .then(sendResponse)
    .catch(() => sendResponse({ ok: false, failure: HelperFailure.ERROR }));
  return true;
});
