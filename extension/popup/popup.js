'use strict';
(async function runPopup(Toontje) {
  const { MessageType, Settings, i18n, renderHelperStatus } = Toontje;
  const settings = await Settings.load();
  await i18n.init(settings.uiLanguage);
  i18n.translateDocument();

  const enabled = document.getElementById('enabled');
  const siteSwitches = [...document.querySelectorAll('input[data-site]')];
  const status = document.getElementById('helper-status');

  function showSettings(current) {
    enabled.checked = current.enabled;
    for (const input of siteSwitches) {
      input.checked = current.sites[input.dataset.site];
      // A site switch means nothing while everything is off.
      input.disabled = !current.enabled;
    }
  }
  showSettings(settings);
  // The options page, a shortcut or Chrome sync may change the switches while the popup is open.
  Settings.onChange(showSettings);

  enabled.addEventListener('change', async () => showSettings(await Settings.save({ enabled: enabled.checked })));
  for (const input of siteSwitches) {
    input.addEventListener('change', async () => {
      const current = await Settings.load();
      showSettings(await Settings.save({ sites: { ...current.sites, [input.dataset.site]: input.checked } }));
    });
  }

  async function refreshStatus() {
    renderHelperStatus(status, null);
    renderHelperStatus(status, await chrome.runtime.sendMessage({ type: MessageType.CHECK_HELPER_NOW }));
  }
  document.getElementById('check-helper').addEventListener('click', refreshStatus);
  chrome.runtime.onMessage.addListener((message) => {
    if (message?.type === MessageType.HELPER_STATUS_CHANGED) {
      renderHelperStatus(status, { ...message.status, helperUrl: settings.helperUrl });
    }
  });
  document.getElementById('open-options').addEventListener('click', (event) => {
    event.preventDefault();
    chrome.runtime.openOptionsPage();
    window.close();
  });
  refreshStatus();
})(globalThis.Toontje);
