/* crisisbot — discussion web. Aucun HTML venant des messages n'est injecté :
   tout est construit avec createElement / textContent. */
(function () {
  'use strict';

  var WEBHOOK = '/webhooks/rest/webhook';
  var HISTORY = '/webhooks/rest/history';
  var NEWS = '/webhooks/rest/news';
  var KEY = 'crisisbot.sender', VISIT_KEY = 'crisisbot.lastVisit';
  var MAX = 2000, WARN_AT = 1800, TIMEOUT_MS = 45000, HISTORY_TIMEOUT_MS = 10000, LATE_POLL_MS = 3000;
  // A late answer is asked for this many times; while an adviser has the conversation there is none.
  var MAX_CATCH_UP = 20, NEWS_POLL_MS = 3000;
  var ADVISER = 'Conseiller de la Chambre';
  var WELCOME = "Bonjour ! Je suis l'assistant de la Chambre de Métiers. Posez votre question, ou tapez « menu ».";
  var DOWN = "Le service ne répond pas pour le moment. Votre message n'a pas été perdu ; réessayez dans un instant.";
  var REJECTED = "Votre message n'a pas pu être traité. Reformulez-le, s'il vous plaît.";

  function $(id) { return document.getElementById(id); }
  var scroller = $('scroller'), log = $('log'), typing = $('typing');
  var form = $('composer'), input = $('input'), counter = $('counter'), resetBtn = $('reset');

  /* ---- Identifiant de conversation ---- */
  function load(k) { try { return window.localStorage.getItem(k); } catch (e) { return null; } }
  function save(k, v) { try { window.localStorage.setItem(k, v); } catch (e) { /* navigation privée */ } }
  function newId() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === 'function') {
      try { return c.randomUUID(); } catch (e) { /* contexte non sécurisé */ }
    }
    var b = new Uint8Array(16), i;
    if (c && typeof c.getRandomValues === 'function') c.getRandomValues(b);
    else for (i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = '';
    for (i = 0; i < 16; i++) h += (b[i] + 256).toString(16).slice(1);
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }
  var sender = load(KEY);
  if (!sender) { sender = newId(); save(KEY, sender); }

  var generation = 0;          // change à chaque « Nouvelle conversation »
  var pending = 0;             // requêtes en attente (indicateur de saisie)
  var titles = {};             // payload de bouton -> titre affiché

  /* ---- Construction des bulles (les nœuds sans état sont dans chat_render.js) ---- */
  var render = window.crisisChatRender;
  var el = render.el, appendRich = render.appendRich, timeNode = render.timeNode;

  // kind: 'bot' | 'adviser' | 'user' (an adviser's message is shown as the bot's, signed). Renvoie le nœud, ou null s'il n'y a rien à afficher.
  function buildMessage(kind, text, buttons, when) {
    text = typeof text === 'string' ? text : '';
    buttons = Array.isArray(buttons) ? buttons : [];
    if (!text.trim() && !buttons.length) return null;
    var row = el('div', kind === 'adviser' ? 'msg bot adviser' : 'msg ' + kind);
    if (text.trim()) {
      var bubble = el('div', 'bubble');
      if (kind === 'adviser') {
        bubble.appendChild(el('strong', 'from', ADVISER));
        bubble.appendChild(el('br'));
        appendRich(bubble, text);
      } else {
        bubble.appendChild(el('span', 'sr-only', kind === 'bot' ? "L'assistant : " : 'Vous : '));
        if (kind === 'bot') appendRich(bubble, text); else bubble.appendChild(document.createTextNode(text));
      }
      row.appendChild(bubble);
    }
    if (buttons.length) {
      var box = el('div', 'choices');
      buttons.forEach(function (b) {
        if (!b) return;
        var title = String(b.title != null ? b.title : (b.payload != null ? b.payload : ''));
        if (!title.trim()) return;
        var payload = b.payload != null && String(b.payload) !== '' ? String(b.payload) : title;
        titles[payload] = title;
        var btn = el('button', 'choice', title);
        btn.type = 'button';
        btn.addEventListener('click', function () { say(payload, title); });
        box.appendChild(btn);
      });
      if (box.firstChild) row.appendChild(box);
    }
    var t = timeNode(when || new Date());
    if (t) row.appendChild(t);
    return row;
  }

  function scrollToNewest(node) {
    // Un long message du bot : on montre son début plutôt que sa fin.
    if (node && node.classList && node.classList.contains('bot') &&
        node.offsetHeight > scroller.clientHeight - 24) {
      scroller.scrollTop = node.offsetTop - 12;
    } else {
      scroller.scrollTop = scroller.scrollHeight;
    }
  }

  function add(node) {
    if (!node) return null;
    log.appendChild(node);
    scrollToNewest(node);
    return node;
  }

  function system(text, retryPayload, retryId) {
    var box = el('div', 'sys');
    box.setAttribute('role', 'status');
    box.appendChild(el('p', null, text));
    if (retryPayload != null) {
      var btn = el('button', 'retry', 'Réessayer');
      btn.type = 'button';
      btn.addEventListener('click', function () {
        var hadFocus = document.activeElement === btn;
        if (box.parentNode) box.parentNode.removeChild(box);
        if (hadFocus && window.matchMedia && window.matchMedia('(pointer: fine)').matches) input.focus();
        enqueue(retryPayload, retryId);
      });
      box.appendChild(btn);
    }
    return add(box);
  }

  function setTyping(on) {
    typing.hidden = !on;
    if (on) scroller.scrollTop = scroller.scrollHeight;
  }

  /* ---- Échanges avec le serveur ---- */
  function request(url, options, timeout) {
    var ctrl = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, timeout) : 0;
    options.signal = ctrl ? ctrl.signal : undefined;
    options.credentials = 'same-origin';
    options.headers = options.headers || {};
    options.headers.Accept = 'application/json';
    return fetch(url, options).then(function (res) {
      return res.text().then(function (body) {
        clearTimeout(timer);
        var data = null;
        try { data = body ? JSON.parse(body) : null; } catch (e) { data = null; }
        return { status: res.status, ok: res.ok, data: data };
      });
    }, function (err) { clearTimeout(timer); throw err; });
  }

  var queue = Promise.resolve();

  // `messageId` stays the same when the artisan retries: the server answers a message id once.
  function enqueue(payload, messageId) {
    var gen = generation, who = sender, finished = false;
    messageId = messageId || newId();
    pending++;
    setTyping(true);
    function done() {
      if (finished || gen !== generation) return;
      finished = true;
      pending = Math.max(0, pending - 1);
      if (!pending) setTyping(false);
    }
    function failed() { if (gen === generation) { done(); system(DOWN, payload, messageId); } }
    queue = queue.then(function () {
      if (gen !== generation) return;
      return request(WEBHOOK, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sender: who, message: payload, message_id: messageId })
      }, TIMEOUT_MS).then(function (r) {
        if (gen !== generation) return;
        if (r.ok && Array.isArray(r.data) && r.data.length === 0) {
          // Stored, but the answer is late: it is kept on the server; fetch it in a moment.
          setTimeout(function () { if (gen === generation) catchUp(messageId, done, 1); }, LATE_POLL_MS);
        } else if (r.ok && Array.isArray(r.data)) {
          done();
          r.data.forEach(function (m) {
            if (m) add(buildMessage('bot', m.text, m.buttons, new Date()));
          });
        } else if (r.status >= 400 && r.status < 500) {
          done();
          var msg = r.data && typeof r.data.error === 'string' && r.data.error.trim() ? r.data.error : REJECTED;
          system(msg, null);
        } else {
          failed();
        }
      }, failed);
    }).then(null, done);
  }

  // A late answer: ask again with the same message id; the server returns the stored replies once ready.
  // An adviser's conversation answers nothing: after MAX_CATCH_UP tries the page stops asking.
  function catchUp(messageId, done, tries) {
    var gen = generation;
    if (tries > MAX_CATCH_UP) { done(); return; }
    function again() { setTimeout(function () { if (gen === generation) catchUp(messageId, done, tries + 1); }, LATE_POLL_MS); }
    request(WEBHOOK, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sender: sender, message: '-', message_id: messageId })
    }, TIMEOUT_MS).then(function (r) {
      if (gen !== generation) return;
      if (r.ok && Array.isArray(r.data) && r.data.length) {
        done();
        r.data.forEach(function (m) { if (m) add(buildMessage('bot', m.text, m.buttons, new Date())); });
      } else {
        again();
      }
    }, again);
  }

  // Envoie `payload` au serveur et affiche `shown` comme message de l'artisan.
  function say(payload, shown) {
    add(buildMessage('user', shown || payload, null, new Date()));
    enqueue(payload);
  }

  function welcome(before) {
    var node = buildMessage('bot', WELCOME, null, new Date());
    if (before) log.insertBefore(node, before); else log.appendChild(node);
    scroller.scrollTop = scroller.scrollHeight;
  }

  function restore() {
    var gen = generation;
    return request(HISTORY + '?sender=' + encodeURIComponent(sender), { method: 'GET' }, HISTORY_TIMEOUT_MS)
      .then(function (r) { return r.ok && r.data && Array.isArray(r.data.messages) ? r.data.messages : []; },
            function () { return []; })
      .then(function (messages) {
        if (gen !== generation) return;
        var frag = document.createDocumentFragment();
        messages.forEach(function (m) {
          if (!m) return;
          seen(m);
          var node = m.direction === 'in'
            ? buildMessage('user', titles[m.text] || m.text, null, m.created_at)
            : buildMessage(m.author === 'agent' ? 'adviser' : 'bot', m.text, m.buttons, m.created_at);
          if (node) frag.appendChild(node);
        });
        var first = log.firstChild;
        if (frag.firstChild) log.insertBefore(frag, first);
        else welcome(first);
        scroller.scrollTop = scroller.scrollHeight;
      });
  }

  /* ---- What arrives unasked (an adviser's answer, the hand-off's notices), every few seconds ---- */
  var lastId = 0;              // the newest message id this page knows of
  var restored = Promise.resolve();
  function seen(m) { if (typeof m.id === 'number' && m.id > lastId) lastId = m.id; }

  // Replies to the artisan's own messages come with the webhook's answer; the rest is shown from here.
  function news() {
    var gen = generation;
    if (document.visibilityState === 'hidden') return Promise.resolve();
    var url = HISTORY + '?sender=' + encodeURIComponent(sender) + '&after=' + lastId;
    return request(url, { method: 'GET' }, HISTORY_TIMEOUT_MS).then(function (r) {
      if (gen !== generation || !r.ok || !r.data || !Array.isArray(r.data.messages)) return;
      r.data.messages.forEach(function (m) {
        if (!m || typeof m.id !== 'number' || m.id <= lastId) return;
        seen(m);
        if (m.direction === 'out' && m.reply_to == null) {
          add(buildMessage(m.author === 'agent' ? 'adviser' : 'bot', m.text, m.buttons, m.created_at));
        }
      });
    }, function () { /* réseau coupé : on réessaiera */ });
  }
  var polling = false;
  function pollNews() {
    if (polling) return;
    polling = true;
    restored.then(news).then(function () { polling = false; }, function () { polling = false; });
  }
  setInterval(pollNews, NEWS_POLL_MS);
  document.addEventListener('visibilitychange', function () { if (document.visibilityState === 'visible') pollNews(); });

  /* ---- Saisie ---- */
  function autosize() {
    input.style.height = 'auto';
    var cs = window.getComputedStyle(input);
    var border = parseFloat(cs.borderTopWidth) + parseFloat(cs.borderBottomWidth);
    var max = parseFloat(cs.maxHeight) || Infinity;
    var h = input.scrollHeight + border;
    input.style.height = Math.min(h, max) + 'px';
    input.style.overflowY = h > max ? 'auto' : 'hidden';
  }

  function updateCounter() {
    var n = input.value.length;
    counter.hidden = n < WARN_AT;
    counter.textContent = n >= WARN_AT ? n + ' / ' + MAX + ' caractères' : '';
    counter.classList.toggle('full', n >= MAX);
  }

  function submit() {
    var text = input.value.trim();
    if (!text) { input.value = ''; autosize(); updateCounter(); return; }
    input.value = '';
    autosize();
    updateCounter();
    say(text, text);
  }

  form.addEventListener('submit', function (e) { e.preventDefault(); submit(); });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', function () { autosize(); updateCounter(); });
  // Si l'on était en bas du fil, on y reste quand la zone visible change
  // (clavier du téléphone, zone de saisie qui s'agrandit, rotation).
  var stick = true;
  scroller.addEventListener('scroll', function () {
    stick = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  }, { passive: true });
  function keepBottom() { if (stick) scroller.scrollTop = scroller.scrollHeight; }
  if (typeof ResizeObserver === 'function') new ResizeObserver(keepBottom).observe(scroller);
  else window.addEventListener('resize', keepBottom);

  resetBtn.addEventListener('click', function () {
    if (!window.confirm('Commencer une nouvelle conversation ? Les messages affichés seront effacés de cet écran.')) return;
    generation++;
    sender = newId();
    save(KEY, sender);
    pending = 0;
    setTyping(false);
    titles = {};
    lastId = 0;
    queue = Promise.resolve();
    log.textContent = '';
    input.value = '';
    autosize();
    updateCounter();
    welcome(null);
    input.focus();
  });

  /* ---- Les annonces publiées depuis la dernière visite, en haut de la page (pas de notification ici) ---- */
  function showNewsSinceLastVisit() {
    var last = load(VISIT_KEY);
    save(VISIT_KEY, new Date().toISOString());
    if (!last) return Promise.resolve();
    var url = NEWS + '?sender=' + encodeURIComponent(sender) + '&since=' + encodeURIComponent(last);
    return request(url, { method: 'GET' }, HISTORY_TIMEOUT_MS).then(function (r) {
      if (r.ok && r.data && Array.isArray(r.data.news) && r.data.news.length) {
        scroller.insertBefore(render.newsBanner(r.data.news), log);
      }
    }, function () { /* réseau coupé : rien à montrer */ });
  }

  autosize();
  queue = restored = restore();
  showNewsSinceLastVisit();
})();
