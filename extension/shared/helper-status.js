'use strict';
// One wording of the helper's status for the popup and the options page.
(function defineHelperStatus(Toontje) {
  const { t } = Toontje.i18n;
  const { HelperFailure } = Toontje;

  /** Writes the status into element (text and data-state) from a CHECK_HELPER_NOW reply. */
  function renderHelperStatus(element, status) {
    element.dataset.state = status?.state ?? 'unknown';
    if (status?.state === 'online') {
      element.textContent = status.version ? t('helperOnlineVersion', status.version) : t('helperOnline');
    } else if (status?.state === 'offline') {
      element.textContent = status.failure === HelperFailure.TIMEOUT
        ? t('helperSlow', status.helperUrl ?? '')
        : t('helperOffline', status.helperUrl ?? '');
    } else {
      element.textContent = t('helperChecking');
    }
  }

  Toontje.renderHelperStatus = renderHelperStatus;
})(globalThis.Toontje);
