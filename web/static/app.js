// agentgate reviewer page: live updates of the queue, notes when the
// request on screen changes, and countdowns. Every page works without it;
// it only ever inserts HTML the server rendered (and escaped) for this
// origin, and text through textContent.
(function () {
  'use strict';

  function fmt(secs) {
    if (secs <= 0) return 'expired';
    if (secs < 60) return secs + 's';
    var two = function (n) { return (n < 10 ? '0' : '') + n; };
    if (secs < 3600) return Math.floor(secs / 60) + 'm ' + two(secs % 60) + 's';
    if (secs < 86400) {
      return Math.floor(secs / 3600) + 'h ' + two(Math.floor(secs % 3600 / 60)) + 'm';
    }
    return Math.floor(secs / 86400) + 'd ' + Math.floor(secs % 86400 / 3600) + 'h';
  }

  // Each [data-left] element counts down from when it was first seen.
  function countdown() {
    var now = Date.now();
    document.querySelectorAll('[data-left]').forEach(function (el) {
      if (!el.dataset.t0) el.dataset.t0 = String(now);
      var left = parseInt(el.dataset.left, 10) -
        Math.floor((now - parseInt(el.dataset.t0, 10)) / 1000);
      el.textContent = fmt(Math.max(0, left));
      if (left <= 0) el.classList.add('expired');
    });
  }

  function note(text) {
    var n = document.getElementById('live-note');
    if (!n) return;
    n.textContent = text + ' ';
    var a = document.createElement('a');
    a.href = window.location.pathname;
    a.textContent = 'Reload';
    n.appendChild(a);
    n.hidden = false;
  }

  var queue = document.getElementById('queue');
  var article = document.getElementById('request');
  var busy = false, again = false;

  function refreshQueue() {
    if (!queue) return;
    if (busy) { again = true; return; }
    busy = true;
    fetch(queue.dataset.fragment, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401) throw new Error('session');
        if (!res.ok) throw new Error('http ' + res.status);
        return res.text();
      })
      .then(function (html) {
        var t = document.createElement('template');
        t.innerHTML = html;
        var fresh = t.content.querySelector('#queue');
        if (fresh) {
          queue.replaceWith(fresh);
          queue = fresh;
          countdown();
        }
      })
      .catch(function (e) {
        if (e.message === 'session') {
          var p = document.createElement('p');
          p.className = 'flash error';
          p.textContent = 'Your session has ended. Reload to log in again.';
          queue.prepend(p);
        }
      })
      .finally(function () {
        busy = false;
        if (again) { again = false; refreshQueue(); }
      });
  }

  function onApproval(ev) {
    var parts = String(ev.data || '').split(' ');
    if (queue) refreshQueue();
    if (article && parts[0] === article.dataset.id && parts[1] !== 'created') {
      note('This request has changed (' + parts[1] + ').');
    }
  }

  if ((queue || article) && window.EventSource) {
    var es = new EventSource('/events');
    es.addEventListener('approval', onApproval);
    es.addEventListener('resync', function () {
      if (queue) refreshQueue();
    });
    // Whatever changed between rendering the page and the stream opening
    // (or while it was reconnecting) came with no event: fetch it now.
    es.addEventListener('open', function () {
      if (queue) refreshQueue();
    });
  }
  countdown();
  setInterval(countdown, 1000);
})();
