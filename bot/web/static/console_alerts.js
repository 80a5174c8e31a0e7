/* crisisbot — console des conseillers : les alertes d'un artisan qui attend (un son, une notification du
   navigateur), désactivées par défaut et retenues par le navigateur. Chargé avant console.js. */
(function () {
  'use strict';

  var SOUND_KEY = 'crisisbot.console.sound', NOTIFY_KEY = 'crisisbot.console.notify';

  function setup(options) {
    function $(id) { return document.getElementById(id); }
    function stored(key) { try { return window.localStorage.getItem(key) === 'on'; } catch (e) { return false; } }
    function remember(key, on) { try { window.localStorage.setItem(key, on ? 'on' : 'off'); } catch (e) { /* privé */ } }
    var soundBox = $('alert-sound'), notifyBox = $('alert-notify');
    var canNotify = typeof window.Notification === 'function';
    soundBox.checked = stored(SOUND_KEY);
    notifyBox.checked = canNotify && stored(NOTIFY_KEY) && window.Notification.permission === 'granted';
    if (!canNotify) notifyBox.disabled = true;
    soundBox.addEventListener('change', function () { remember(SOUND_KEY, soundBox.checked); if (soundBox.checked) beep(); });
    notifyBox.addEventListener('change', function () {
      if (!notifyBox.checked) { remember(NOTIFY_KEY, false); return; }
      window.Notification.requestPermission().then(function (permission) {
        notifyBox.checked = permission === 'granted';
        remember(NOTIFY_KEY, notifyBox.checked);
        if (!notifyBox.checked) options.onError("Le navigateur refuse les notifications pour ce site : autorisez-les dans ses réglages.");
      });
    });

    var audio = null;
    function beep() {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      try {
        audio = audio || new Ctx();
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.2, audio.currentTime);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
        osc.connect(gain); gain.connect(audio.destination);
        osc.start(); osc.stop(audio.currentTime + 0.4);
      } catch (e) { /* pas de son : tant pis */ }
    }

    function alertNew(rows) {
      if (soundBox.checked) beep();
      if (notifyBox.checked && canNotify && window.Notification.permission === 'granted') {
        rows.forEach(function (row) {
          try {
            var n = new window.Notification('Un artisan attend un conseiller', {
              body: row.name + ' · ' + row.channel_label + ' · ' + (row.reason_label || ''), tag: row.id
            });
            n.onclick = function () { window.focus(); options.onOpen(row.id); };
          } catch (e) { /* notifications indisponibles */ }
        });
      }
    }

    return { alertNew: alertNew, beep: beep };
  }

  window.crisisbotConsoleAlerts = { setup: setup };
})();
