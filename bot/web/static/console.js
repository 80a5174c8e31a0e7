/* crisisbot — console des conseillers : la file en direct, la conversation ouverte, les actions.
   Aucun HTML venant des messages n'est injecté : tout est construit avec createElement / textContent. */
(function () {
  'use strict';

  var API = '/staff/console/api';
  var WS_PATH = '/staff/console/ws';
  var DOWN = "Le serveur ne répond pas. Réessayez dans un instant.";
  var EXPIRED = "Votre session a expiré : rechargez la page pour vous reconnecter.";

  function $(id) { return document.getElementById(id); }
  var root = $('console');
  if (!root) return;
  var me = Number(root.getAttribute('data-me'));
  var isAdmin = root.getAttribute('data-admin') === 'yes';
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';

  var queue = [];              // rows from the API, each with `base` (ms, client clock) for its timer
  var knownWaiting = null;     // ids seen waiting, to tell when a new one arrives (null until the first load)
  var openId = null;           // the conversation shown on the right
  var current = null;          // its last loaded state
  var shown = {};              // message id -> its <li>

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }

  /* ---- Errors ---- */
  var errorBox = $('console-error');
  function showError(text) { errorBox.textContent = text; errorBox.hidden = false; }
  function clearError() { errorBox.textContent = ''; errorBox.hidden = true; }

  /* ---- Server ---- */
  function call(method, path, body) {
    var options = { method: method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (method !== 'GET') {
      options.headers['X-CSRF-Token'] = csrf;
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body || {});
    }
    return fetch(API + path, options).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (res.ok) return data || {};
        var message = data && typeof data.error === 'string' && data.error ? data.error : DOWN;
        if (res.status === 401) message = EXPIRED;
        var err = new Error(message);
        err.status = res.status;
        throw err;
      });
    }, function () { throw new Error(DOWN); });
  }

  /* ---- Times ---- */
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (h ? String(m).padStart(2, '0') : String(m)) + ' min ' + String(s).padStart(2, '0') + ' s';
    return h ? h + ' h ' + mm : mm;
  }

  /* ---- Queue ---- */
  function renderQueue() {
    var waiting = $('queue-waiting'), taken = $('queue-taken');
    waiting.textContent = ''; taken.textContent = '';
    var nWaiting = 0, nTaken = 0;
    queue.forEach(function (row) {
      var li = el('li', 'queue-row ' + row.state + (row.priority ? ' priority' : '') + (row.id === openId ? ' open' : ''));
      var btn = el('button', 'queue-open');
      btn.type = 'button';
      btn.setAttribute('data-id', row.id);
      var top = el('span', 'queue-top');
      top.appendChild(el('strong', 'queue-name', row.name));
      if (row.priority) top.appendChild(el('span', 'badge urgent', 'Prioritaire'));
      btn.appendChild(top);
      btn.appendChild(el('span', 'queue-meta', row.channel_label + ' · ' + (row.reason_label || '')));
      var timer = el('span', 'queue-timer');
      timer.setAttribute('data-base', String(row.base));
      timer.setAttribute('data-label', row.state === 'waiting' ? 'Attend depuis ' : 'Attendait depuis ');
      btn.appendChild(timer);
      if (row.state === 'agent') btn.appendChild(el('span', 'queue-agent', 'En cours · ' + (row.agent || '')));
      btn.addEventListener('click', function () {
        openConversation(row.id).then(function () {
          // On a phone the conversation is below the queue: go to it.
          if (window.matchMedia && window.matchMedia('(max-width: 50rem)').matches) $('conversation-title').scrollIntoView();
        });
      });
      li.appendChild(btn);
      if (row.state === 'waiting') { waiting.appendChild(li); nWaiting++; } else { taken.appendChild(li); nTaken++; }
    });
    $('waiting-count').textContent = String(nWaiting);
    $('taken-count').textContent = String(nTaken);
    $('queue-waiting-empty').hidden = nWaiting > 0;
    $('queue-taken-empty').hidden = nTaken > 0;
    tick();
  }

  function tick() {
    var now = Date.now();
    var timers = document.querySelectorAll('.queue-timer');
    for (var i = 0; i < timers.length; i++) {
      var base = Number(timers[i].getAttribute('data-base'));
      timers[i].textContent = timers[i].getAttribute('data-label') + duration((now - base) / 1000);
    }
  }
  setInterval(tick, 1000);

  function loadQueue() {
    return call('GET', '/queue').then(function (data) {
      var now = Date.now();
      queue = (data.queue || []).map(function (row) {
        row.base = now - (row.waiting_seconds || 0) * 1000;
        return row;
      });
      var ids = {}, fresh = [];
      queue.forEach(function (row) {
        if (row.state !== 'waiting') return;
        ids[row.id] = true;
        if (knownWaiting && !knownWaiting[row.id]) fresh.push(row);
      });
      knownWaiting = ids;
      renderQueue();
      if (fresh.length) alertNew(fresh);
    }, function (err) { showError(err.message); });
  }

  /* ---- Alerts (console_alerts.js): a sound and a browser notification for a new waiting artisan ---- */
  var alerts = window.crisisbotConsoleAlerts.setup({ onError: showError, onOpen: function (id) { openConversation(id); } });
  var alertNew = alerts.alertNew;

  /* ---- The open conversation ---- */
  function statusText(m) {
    if (!m.status_label) return '';
    return m.status_label + (m.error ? ' : ' + m.error : '');
  }

  function messageNode(m) {
    var li = el('li', 'msg ' + m.author);
    var who = m.author === 'agent' ? 'Conseiller' + (m.adviser ? ' (' + m.adviser + ')' : '') : (m.author_label || m.author);
    li.appendChild(el('span', 'who', who + (m.at ? ' · ' + m.at : '')));
    if (m.kind_label) li.appendChild(el('span', 'kind', '[' + m.kind_label + ']'));
    li.appendChild(el('span', 'text', m.text || ''));
    if (m.buttons && m.buttons.length) {
      li.appendChild(el('span', 'muted', 'Boutons : ' + m.buttons.map(function (b) { return b.title; }).join(', ')));
    }
    if (m.direction === 'out') {
      var status = el('span', 'delivery ' + (m.status || ''), statusText(m));
      status.setAttribute('data-status', m.status || '');
      li.appendChild(status);
    }
    return li;
  }

  function addMessage(m) {
    if (shown[m.id]) return;
    var li = messageNode(m);
    shown[m.id] = li;
    var list = $('transcript');
    list.appendChild(li);
    li.scrollIntoView({ block: 'nearest' });
    var late = lateDeliveries[m.id];
    if (late) { delete lateDeliveries[m.id]; if (late.status !== m.status) updateDelivery(late); }
  }

  var STATUS_LABELS = {
    pending: 'En attente d’envoi', sent: 'Envoyé', delivered: 'Distribué', read: 'Lu',
    failed: 'Non remis', held: 'Retenu (fenêtre WhatsApp de 24 h fermée)'
  };
  var lateDeliveries = {};     // message id -> a delivery event that came before the message was shown
  function updateDelivery(event) {
    var li = shown[event.id];
    if (!li) { lateDeliveries[event.id] = event; return; }
    var status = li.querySelector('.delivery');
    if (!status) return;
    status.className = 'delivery ' + event.status;
    status.setAttribute('data-status', event.status);
    status.textContent = (STATUS_LABELS[event.status] || event.status) + (event.error ? ' : ' + event.error : '');
  }

  function renderConversation(data) {
    current = data;
    var c = data.conversation;
    $('no-conversation').hidden = true;
    $('conversation').hidden = false;
    $('conversation-title').textContent = c.name + ' · ' + c.channel_label;
    $('conversation-facts').textContent = (c.reason_label ? c.reason_label : '') + (c.priority ? ' · Prioritaire' : '');
    var state = {
      waiting: 'Attend un conseiller',
      agent: 'En cours avec ' + (c.agent_id === me ? 'vous' : (c.agent || 'un conseiller')),
      bot: 'Le bot répond (pas de conseiller)',
      closed: 'Close'
    }[c.state] || c.state;
    $('conversation-state').textContent = state;

    var mine = c.state === 'agent' && (c.agent_id === me || isAdmin);
    $('take').hidden = c.state !== 'waiting';
    $('give-back').hidden = !mine;
    $('close').hidden = !(c.state === 'waiting' || mine);
    $('transfer-box').hidden = !mine;
    $('reply-form').hidden = !mine;

    var list = $('transcript');
    list.textContent = '';
    shown = {};
    data.messages.forEach(addMessage);

    var requests = $('request-list');
    requests.textContent = '';
    data.callbacks.forEach(function (r) {
      var li = el('li'), a = el('a', null, r.reference);
      a.href = '/staff/callbacks/' + r.id;
      li.appendChild(a);
      li.appendChild(document.createTextNode(' · rappel · ' + r.subject + ' · ' + r.status));
      requests.appendChild(li);
    });
    data.pledges.forEach(function (p) {
      var li = el('li'), a = el('a', null, p.reference);
      a.href = '/staff/pledges/' + p.id;
      li.appendChild(a);
      li.appendChild(document.createTextNode(' · ' + p.what + ' · ' + p.status));
      requests.appendChild(li);
    });
    $('requests').hidden = !requests.firstChild;

    var notes = $('notes');
    notes.textContent = '';
    data.notes.forEach(function (n) {
      var li = el('li', 'internal-note');
      li.appendChild(el('span', 'who', 'Note interne — l’artisan ne la voit pas · ' + n.by + ' · ' + n.at));
      li.appendChild(el('span', 'text', n.text));
      notes.appendChild(li);
    });

    var events = $('events');
    events.textContent = '';
    data.events.forEach(function (e) {
      events.appendChild(el('li', null, e.at + ' · ' + e.label + (e.detail ? ' (' + e.detail + ')' : '') +
        ' · ' + (e.by || 'crisisbot')));
    });
  }

  function loadConversation() {
    if (!openId) return Promise.resolve();
    var id = openId;
    return call('GET', '/conversations/' + encodeURIComponent(id)).then(function (data) {
      if (id === openId) renderConversation(data);
    }, function (err) { if (id === openId) showError(err.message); });
  }

  function openConversation(id) {
    if (id !== openId) { clearError(); $('reply').value = ''; }
    openId = id;
    if (window.location.hash !== '#' + id) window.history.replaceState(null, '', '#' + id);
    renderQueue();
    return loadConversation();
  }

  /* ---- Actions ---- */
  function act(path, body, button) {
    if (!openId) return Promise.resolve(null);
    clearError();
    if (button) button.disabled = true;
    var id = openId;
    return call('POST', '/conversations/' + encodeURIComponent(id) + '/' + path, body).then(function (data) {
      return data;
    }, function (err) {
      showError(err.message);
      return null;
    }).then(function (data) {
      if (button) button.disabled = false;
      return Promise.all([loadQueue(), loadConversation()]).then(function () { return data; });
    });
  }

  $('take').addEventListener('click', function () { act('take', null, $('take')); });
  $('give-back').addEventListener('click', function () { act('give-back', null, $('give-back')); });
  $('close').addEventListener('click', function () {
    if (window.confirm('Clore cette conversation ? L’artisan en sera informé.')) act('close', null, $('close'));
  });
  $('transfer').addEventListener('click', function () {
    var to = $('transfer-to').value;
    if (!to) { showError('Choisissez le conseiller à qui transférer la conversation.'); return; }
    act('transfer', { account_id: Number(to) }, $('transfer')).then(function () { $('transfer-to').value = ''; });
  });

  var reply = $('reply');
  function sendReply() {
    var text = reply.value.trim();
    if (!text) return;
    var id = openId;
    clearError();
    $('send').disabled = true;
    call('POST', '/conversations/' + encodeURIComponent(id) + '/reply', { text: text }).then(function (data) {
      if (reply.value.trim() === text) reply.value = '';
      if (id === openId && data.message) addMessage(data.message);
    }, function (err) { showError(err.message); }).then(function () { $('send').disabled = false; });
  }
  $('reply-form').addEventListener('submit', function (e) { e.preventDefault(); sendReply(); });
  reply.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); sendReply(); }
  });

  var canned = $('canned');
  canned.addEventListener('change', function () {
    var option = canned.options[canned.selectedIndex];
    var text = option ? option.getAttribute('data-text') : null;
    if (text) {
      var start = reply.selectionStart, end = reply.selectionEnd, value = reply.value;
      reply.value = value.slice(0, start) + text + value.slice(end);
      reply.focus();
      reply.selectionStart = reply.selectionEnd = start + text.length;
    }
    canned.value = '';
  });

  $('note-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var note = $('note'), text = note.value.trim();
    if (!text) return;
    act('note', { text: text }).then(function (data) { if (data) note.value = ''; });
  });

  /* ---- Live: the websocket, reconnected with backoff ---- */
  var liveStatus = $('live-status');
  var delay = 1000, MAX_DELAY = 30000;
  function connect() {
    var scheme = window.location.protocol === 'https:' ? 'wss://' : 'ws://';
    var socket;
    try { socket = new WebSocket(scheme + window.location.host + WS_PATH); } catch (e) { retry(); return; }
    socket.onopen = function () {
      delay = 1000;
      liveStatus.textContent = 'En direct';
      liveStatus.className = 'live-status on';
      loadQueue(); loadConversation();  // what happened while disconnected
    };
    socket.onmessage = function (e) {
      var event;
      try { event = JSON.parse(e.data); } catch (err) { return; }
      handle(event);
    };
    socket.onclose = function (e) {
      liveStatus.className = 'live-status off';
      if (e.code === 4401) { liveStatus.textContent = 'Déconnecté'; showError(EXPIRED); return; }
      liveStatus.textContent = 'Connexion perdue : nouvelle tentative…';
      retry();
    };
  }
  function retry() {
    setTimeout(connect, delay + Math.floor(Math.random() * 500));
    delay = Math.min(delay * 2, MAX_DELAY);
  }

  function handle(event) {
    if (event.kind === 'queue') { loadQueue(); loadConversation(); }
    else if (event.kind === 'reload') { loadQueue(); loadConversation(); }
    else if (event.conversation_id && event.conversation_id === openId) {
      if (event.kind === 'message' && event.message) {
        if (!shown[event.message.id]) loadConversation();
      } else if (event.kind === 'delivery') {
        updateDelivery(event);
      } else if (event.kind === 'note') {
        loadConversation();
      }
    }
  }

  var initial = window.location.hash.slice(1);
  loadQueue();
  if (/^[A-Za-z0-9]{1,32}$/.test(initial)) openConversation(initial);
  connect();
})();
