'use strict';
// Every message between content scripts, extension pages and the service worker is named here
// once, so a typo is a missing property instead of a message nobody answers.
(function defineMessages(Toontje) {
  Toontje.MessageType = Object.freeze({
    ANALYZE: 'toontje:analyze',
    REWRITE: 'toontje:rewrite',
    CHECK_HELPER_NOW: 'toontje:check-helper-now',
    REPORT_EVENT: 'toontje:report-event',
    GET_LOCALE_MESSAGES: 'toontje:get-locale-messages',
    HELPER_STATUS_CHANGED: 'toontje:helper-status-changed',
  });

  // The event types POST /v1/events accepts; only counts leave the browser, never text.
  Toontje.CountedEvent = Object.freeze({
    WARNING_SHOWN: 'warning-shown',
    POST_HELD: 'post-held',
    REWRITE_USED: 'rewrite-used',
    POSTED_ANYWAY: 'posted-anyway',
  });

  // Why a call to the helper gave no analysis; the badge explains each one differently.
  Toontje.HelperFailure = Object.freeze({
    OFFLINE: 'offline',
    TIMEOUT: 'timeout',
    REFUSED: 'refused',
    TOO_LONG: 'too-long',
    ERROR: 'error',
  });
})(globalThis.Toontje ??= {});
