/* crisisbot — discussion web : les nœuds du DOM construits sans état (texte, liens, heure, annonces).
   Aucun HTML venant des messages n'est injecté : tout passe par createElement / textContent. */
(function () {
  'use strict';

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }

  var URL_RE = /https?:\/\/[^\s<>"«»]+/g;
  function appendRich(node, text) {
    var last = 0, m, url, trail;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text)) !== null) {
      url = m[0];
      trail = /[.,;:!?'’)\]]+$/.exec(url);
      if (trail) url = url.slice(0, url.length - trail[0].length);
      if (m.index > last) node.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = el('a', null, url);
      a.href = url; a.target = '_blank'; a.rel = 'noopener';
      node.appendChild(a);
      last = m.index + url.length;
      URL_RE.lastIndex = last;
    }
    if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
  }

  function timeNode(date) {
    var d = date instanceof Date ? date : new Date(date);
    if (isNaN(d.getTime())) return null;
    var label = d.toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' });
    if (d.toDateString() !== new Date().toDateString()) {
      label = d.toLocaleDateString('fr-FR', { day: '2-digit', month: '2-digit' }) + ' ' + label;
    }
    var t = el('time', 'meta', label);
    t.setAttribute('datetime', d.toISOString());
    return t;
  }

  // Les annonces publiées depuis la dernière visite, en haut de la page (pas de notification ici).
  function newsBanner(items) {
    var box = el('section', 'news-banner');
    box.setAttribute('aria-label', 'Nouvelles annonces');
    box.appendChild(el('h2', null, items.length > 1 ? 'Nouvelles annonces depuis votre dernière visite'
                                                    : 'Nouvelle annonce depuis votre dernière visite'));
    items.forEach(function (n) {
      var item = el('article', 'news-item');
      item.appendChild(el('h3', null, n.title));
      item.appendChild(el('p', 'news-meta', n.source + ' · en vigueur le ' + n.effective_on));
      appendRich(item.appendChild(el('p', 'news-text')), n.text);
      if (n.link) appendRich(item.appendChild(el('p', 'news-link')), n.link);
      box.appendChild(item);
    });
    return box;
  }

  window.crisisChatRender = { el: el, appendRich: appendRich, timeNode: timeNode, newsBanner: newsBanner };
})();
