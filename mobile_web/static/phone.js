/* voxloop phone messenger.
 *
 * The hub renders the greeting, the first question and a plain form that works without this
 * script. The script turns that form into a chat, one question at a time, and makes sure no
 * answer is lost:
 *   - the response id (UUIDv7) is made here at the first answer; a tap's follow-up (the
 *     terminal's thank-you QR code) carries the tap's id from the page instead;
 *   - every answer is written to IndexedDB before it is sent;
 *   - the whole response so far is sent (PUT, idempotent) after every answer, flag "partial"
 *     until the end; failures retry with backoff, on "online", on reload, and from the
 *     service worker (Background Sync), which imports this file for the outbox part only;
 *   - a half-finished conversation resumes where it stopped.
 * User text only ever reaches the page through textContent.
 */
(function (self) {
  'use strict';

  // --- the outbox (page and service worker) -------------------------------------------------

  var DB = 'voxloop', STORE = 'responses';
  var memory = {}; // when IndexedDB is unavailable (some private modes): the page's lifetime

  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!self.indexedDB) { reject(new Error('no IndexedDB')); return; }
      var open = self.indexedDB.open(DB, 1);
      open.onupgradeneeded = function () { open.result.createObjectStore(STORE, { keyPath: 'id' }); };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { reject(open.error); };
    });
  }
  var dbPromise = null;
  function db() { return dbPromise || (dbPromise = openDb()); }

  function inStore(mode, act) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(STORE, mode), result;
        var req = act(tx.objectStore(STORE));
        req.addEventListener('success', function () { result = req.result; });
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function save(rec) {
    rec.updated = Date.now();
    var copy = JSON.parse(JSON.stringify(rec));
    return inStore('readwrite', function (s) { return s.put(copy); })
      .catch(function () { memory[rec.id] = copy; });
  }
  function all() {
    return inStore('readonly', function (s) { return s.getAll(); })
      .catch(function () { return Object.keys(memory).map(function (k) { return memory[k]; }); });
  }
  // Read, change and write one record in one transaction, so a send that finishes never
  // overwrites an answer the page saved meanwhile.
  function update(id, change) {
    return inStore('readwrite', function (s) {
      var get = s.get(id);
      get.onsuccess = function () { if (get.result) { change(get.result); s.put(get.result); } };
      return get;
    }).then(function (r) { return r; }, function () {
      if (memory[id]) change(memory[id]);
      return memory[id];
    });
  }

  function uuid7() {
    var b = new Uint8Array(16), ms = Date.now(), i;
    self.crypto.getRandomValues(b);
    for (i = 5; i >= 0; i--) { b[i] = ms % 256; ms = Math.floor(ms / 256); }
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join('-');
  }

  // The response as the hub takes it (shared/protocol.py, channel "qr").
  function wire(rec) {
    var body = {
      id: rec.id, v: 1, channel: 'qr', store: rec.store, touchpoint: rec.touchpoint,
      survey: rec.survey, survey_version: rec.surveyVersion, captured_at: rec.capturedAt,
      locale: rec.lang, answers: rec.answers
    };
    if (rec.contact) body.contact = rec.contact;
    if (!rec.complete) body.flags = ['partial'];
    return body;
  }

  var listeners = [], flushing = null, again = false, timer = null, attempt = 0;
  function tell(what, rec) { listeners.forEach(function (f) { f(what, rec); }); }

  function retryLater(ms) {
    clearTimeout(timer);
    var wait = ms || Math.min(60000, 1000 * Math.pow(2, attempt++)) * (0.5 + Math.random() / 2);
    timer = setTimeout(function () { flush().catch(function () {}); }, wait);
  }

  function sendOne(rec) {
    var rev = rec.rev;
    return fetch(rec.url + rec.id, {
      method: 'PUT', credentials: 'same-origin', keepalive: true,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ response: wire(rec), ticket: rec.ticket })
    }).then(function (res) {
      if (res.status === 429 || res.status >= 500) {
        var after = parseInt(res.headers.get('Retry-After'), 10);
        throw { retry: after > 0 ? after * 1000 : 0 };
      }
      return res.json().catch(function () { return {}; }).then(function (answer) {
        return update(rec.id, function (now) {
          if (res.ok) {
            now.sentRev = Math.max(now.sentRev, rev);
            // delivered for good: the contact address need not stay on the phone
            if (now.complete && now.sentRev === now.rev && now.contact) now.contact.address = '';
          } else {
            now.state = answer.code === 'token_used' || answer.code === 'continuation_used' ? 'used'
              : answer.code === 'ticket_used' ? 'reused'
              : res.status === 409 ? 'conflict' : 'rejected';
          }
        }).then(function (now) { tell(res.ok ? 'sent' : 'refused', now || rec); });
      });
    });
  }

  // Send every response with unsent answers; resolves when all went out, rejects otherwise.
  function flush() {
    if (flushing) { again = true; return flushing; }
    clearTimeout(timer);
    flushing = (function round() {
      again = false;
      return all().then(function (recs) {
        var todo = recs.filter(function (r) { return r.state === 'open' && r.rev > r.sentRev; });
        return todo.reduce(function (chain, rec) {
          return chain.then(function () { return sendOne(rec); });
        }, Promise.resolve());
      }).then(function () {
        attempt = 0;
        if (again) return round();
      });
    })().then(function () { flushing = null; }, function (failure) {
      flushing = null;
      tell('offline');
      retryLater(failure && failure.retry);
      throw failure;
    });
    return flushing;
  }

  self.VoxloopOutbox = { flush: flush, listen: function (f) { listeners.push(f); } };
  if (!self.document) return; // the service worker needs only the outbox

  // --- the conversation (page only) ---------------------------------------------------------

  var doc = self.document;
  var boot = JSON.parse(doc.getElementById('boot').textContent);
  var survey = boot.survey, T = boot.texts;
  var chat = doc.getElementById('chat'), statusLine = doc.getElementById('status');
  var reply = el('div', { class: 'reply', id: 'reply' });
  var calm = self.matchMedia && self.matchMedia('(prefers-reduced-motion: reduce)').matches;
  var rec = null, busy = false;
  var RESUME_DONE_MS = 15 * 60 * 1000;

  function el(tag, attrs, kids) {
    var e = doc.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (k === 'text') e.textContent = v;
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else if (v !== false && v != null) e.setAttribute(k, v === true ? '' : v);
    });
    (kids || []).forEach(function (kid) { if (kid) e.append(kid); });
    return e;
  }

  function bubble(side, text, id) {
    var li = el('li', { class: 'msg new ' + side, id: id }, [
      el('span', { class: 'sr', text: (side === 'in' ? T.store_says : T.you_say) + ' ' }),
      doc.createTextNode(text)
    ]);
    chat.append(li);
    return li;
  }

  function say(text, id, instant) {
    // a short "typing" pause: the rhythm of a chat, never long enough to wait for
    if (instant || calm) return Promise.resolve(bubble('in', text, id));
    var dots = el('li', { class: 'msg in typing', 'aria-hidden': 'true' }, [el('i'), el('i'), el('i')]);
    chat.append(dots);
    scrollDown();
    return new Promise(function (resolve) {
      setTimeout(function () { dots.remove(); resolve(bubble('in', text, id)); }, Math.min(650, 250 + text.length * 5));
    });
  }

  function scrollDown() {
    reply.scrollIntoView({ block: 'end', behavior: calm ? 'auto' : 'smooth' });
  }

  function question(id) {
    return survey.questions.filter(function (q) { return q.id === id; })[0];
  }
  function answerOf(id) {
    return rec && rec.answers.filter(function (a) { return a.question === id; })[0];
  }

  // Words for an answer: a face's label, the options' texts, the number, the comment as typed.
  function words(q, value) {
    if (q.kind === 'smiley') return q.faces[value - 1].label;
    if (q.kind === 'choice') {
      return value.map(function (id) {
        return q.options.filter(function (o) { return o.id === id; })[0].text;
      }).join(', ');
    }
    return String(value);
  }

  // Where the conversation stands: the next question, then the contact step, then the end.
  function nextStep() {
    for (var i = 0; i < survey.questions.length; i++) {
      var q = survey.questions[i];
      if (!answerOf(q.id) && !(rec && rec.skipped.indexOf(q.id) >= 0)) return { q: q };
    }
    if (survey.ask_contact && !(rec && rec.contactStep === 'done')) {
      return { contact: rec && rec.contactStep === 'yes' ? 'address' : 'ask' };
    }
    return { end: true };
  }

  function newRecord() {
    return {
      id: boot.response_id || uuid7(), url: boot.responses, store: boot.store, touchpoint: boot.touchpoint,
      survey: survey.key, surveyVersion: survey.version, lang: boot.lang,
      capturedAt: new Date().toISOString(), ticket: boot.ticket,
      answers: [], skipped: [], contact: null, contactStep: null,
      complete: false, rev: 0, sentRev: 0, state: 'open', receipt: boot.receipt
    };
  }

  // Every change: keep it on the phone first, then send (a new version only when what the
  // hub gets changes: a skipped question is not sent).
  function commit(before) {
    rec.lang = boot.lang;
    if (JSON.stringify(wire(rec)) !== before) rec.rev += 1;
    return save(rec).then(function () { flush().catch(function () {}); });
  }

  // --- controls -------------------------------------------------------------------------------

  function group(labelId, kids, extraClass) {
    return el('div', { role: 'group', 'aria-labelledby': labelId, class: extraClass }, kids);
  }

  function skipButton(q) {
    return q.required ? null : el('button', {
      type: 'button', class: 'btn quiet', text: T.skip,
      onclick: function () { act(function () { rec.skipped.push(q.id); }, T.skip, true); }
    });
  }

  function controls(q) {
    var label = 'm-' + q.id;
    if (q.kind === 'smiley') {
      var faces = doc.getElementById('faces-' + q.faces.length).content;
      return group(label, q.faces.map(function (f, i) {
        return el('button', {
          type: 'button', class: 'facebtn', 'data-value': f.value,
          onclick: function () { answer(q, f.value); }
        }, [faces.children[i].cloneNode(true), el('span', { text: f.label })]);
      }), 'faces');
    }
    if (q.kind === 'choice') {
      var chosen = [];
      var chips = q.options.map(function (o) {
        return el('button', {
          type: 'button', class: 'btn', text: o.text, 'aria-pressed': q.multiple ? 'false' : false,
          onclick: function (ev) {
            if (!q.multiple) { answer(q, [o.id]); return; }
            var at = chosen.indexOf(o.id);
            if (at >= 0) chosen.splice(at, 1); else chosen.push(o.id);
            ev.currentTarget.setAttribute('aria-pressed', at < 0 ? 'true' : 'false');
            send.disabled = chosen.length === 0;
          }
        });
      });
      var send = q.multiple ? el('button', {
        type: 'button', class: 'btn primary', text: T.send, disabled: true,
        onclick: function () {
          // in the survey's order, whatever order they were tapped in
          answer(q, q.options.map(function (o) { return o.id; }).filter(function (id) { return chosen.indexOf(id) >= 0; }));
        }
      }) : null;
      var hint = q.multiple ? el('p', { class: 'sr', id: 'h-' + q.id, text: T.choose_then_send }) : null;
      var box = group(label, [hint, el('div', { class: 'chips' }, chips), el('div', { class: 'row' }, [send, skipButton(q)])]);
      if (hint) box.setAttribute('aria-describedby', 'h-' + q.id);
      return box;
    }
    if (q.kind === 'text') {
      var area = el('textarea', {
        id: 'f-' + q.id, rows: 2, maxlength: q.max_length, placeholder: T.message_placeholder,
        onkeydown: function (ev) { if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) submit(); }
      });
      var submit = function () { if (area.value.trim()) answer(q, area.value.trim()); else area.focus(); };
      return group(label, [
        el('label', { class: 'sr', for: 'f-' + q.id, text: T.your_message }),
        el('div', { class: 'composer' }, [area, el('button', {
          type: 'button', class: 'send', 'aria-label': T.send, onclick: submit
        }, [arrow()])]),
        el('div', { class: 'row' }, [skipButton(q)])
      ]);
    }
    return group(label, [
      el('div', { class: 'scale' }, q.scale.map(function (n) {
        return el('button', { type: 'button', class: 'btn', text: String(n), onclick: function () { answer(q, n); } });
      })),
      el('p', { class: 'ends', 'aria-hidden': 'true' }, [el('span', { text: T.nps_low }), el('span', { text: T.nps_high })]),
      el('div', { class: 'row' }, [skipButton(q)])
    ]);
  }

  function arrow() {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = doc.createElementNS(ns, 'svg'), path = doc.createElementNS(ns, 'path');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    path.setAttribute('d', 'M3 20.5 21 12 3 3.5v6.6l12 1.9-12 1.9z');
    svg.append(path);
    return svg;
  }

  function contactControls(step) {
    if (step === 'ask') {
      return group('m-contact', [el('div', { class: 'chips' }, [
        el('button', { type: 'button', class: 'btn', text: T.contact_yes, onclick: function () {
          act(function () { rec.contactStep = 'yes'; }, T.contact_yes);
        } }),
        el('button', { type: 'button', class: 'btn', text: T.contact_no, onclick: function () {
          act(function () { rec.contactStep = 'done'; }, T.contact_no);
        } })
      ])]);
    }
    var input = el('input', { id: 'f-contact', type: 'text', inputmode: 'email', autocomplete: 'email', maxlength: 200, 'aria-describedby': 'e-contact' });
    var consent = el('input', { id: 'f-consent', type: 'checkbox', 'aria-describedby': 'e-contact' });
    var error = el('p', { class: 'error', id: 'e-contact', role: 'alert' });
    return group('m-address', [
      el('label', { class: 'field', for: 'f-contact', text: T.contact_label }),
      input,
      el('p', { class: 'consent' }, [consent, el('label', { for: 'f-consent', text: T.consent })]),
      error,
      el('div', { class: 'row' }, [
        el('button', { type: 'button', class: 'btn primary', text: T.send, onclick: function () {
          var address = input.value.trim();
          if (!address) { error.textContent = T.address_needed; input.focus(); return; }
          if (!consent.checked) { error.textContent = T.consent_needed; consent.focus(); return; }
          act(function () {
            rec.contact = { address: address, consent: true };
            rec.contactStep = 'done';
          }, T.contact_given);
        } }),
        el('button', { type: 'button', class: 'btn quiet', text: T.contact_no, onclick: function () {
          act(function () { rec.contactStep = 'done'; }, T.contact_no);
        } })
      ])
    ]);
  }

  // --- the flow -------------------------------------------------------------------------------

  function answer(q, value) {
    act(function () { rec.answers.push({ question: q.id, kind: q.kind, value: value }); }, words(q, value));
  }

  function act(change, said, isSkip) {
    if (busy) return;
    busy = true;
    reply.replaceChildren();
    var li = bubble('out', said);
    if (isSkip) li.classList.add('skip');
    ready.then(function () {
      if (!rec) rec = newRecord();
      var before = rec.rev ? JSON.stringify(wire(rec)) : null;
      change(rec);
      var step = nextStep();
      if (step.end) { rec.complete = true; rec.finishedAt = Date.now(); }
      return commit(before).then(function () { return step.end ? finish(false) : show(step, false, true); });
    }).then(function () { busy = false; });
  }

  function show(step, instant, moveFocus) {
    var text, id, box;
    if (step.q) { text = step.q.text; id = 'm-' + step.q.id; box = function () { return controls(step.q); }; }
    else if (step.contact === 'ask') { text = T.contact_question; id = 'm-contact'; box = function () { return contactControls('ask'); }; }
    else { text = T.contact_ask; id = 'm-address'; box = function () { return contactControls('address'); }; }
    var existing = doc.getElementById(id);
    var shown = existing ? Promise.resolve(existing) : say(text, id, instant);
    return shown.then(function () {
      reply.replaceChildren(box());
      if (moveFocus) {
        var first = reply.querySelector('button, textarea, input');
        if (first) first.focus({ preventScroll: true });
      }
      scrollDown();
    });
  }

  function finish(instant) {
    reply.replaceChildren();
    var text = T.thanks + (rec.contact ? ' ' + T.thanks_contact : '');
    return say(text, 'm-thanks', instant).then(function (li) {
      li.classList.add('thanks');
      var list = el('dl');
      survey.questions.forEach(function (q) {
        var a = answerOf(q.id);
        list.append(el('dt', { text: q.text }), el('dd', { text: a ? words(q, a.value) : T.skipped }));
      });
      reply.append(el('section', { class: 'summary', 'aria-labelledby': 'sum-h' }, [
        el('h2', { id: 'sum-h', text: T.summary }), list
      ]));
      if (!boot.receipt) {
        reply.append(el('p', { class: 'again' }, [el('button', {
          type: 'button', class: 'btn', text: T.again, onclick: restart
        })]));
      }
      showStatus(rec);
      scrollDown();
    });
  }

  // A served page takes one response: a new one starts on a newly served page (its own
  // ticket). Without a network the kept copy would bring the used ticket back, so the new
  // conversation starts here, without a ticket: kept and sent, and counted apart as suspect,
  // since the hub cannot tell how it was answered.
  function restart() {
    var done = rec;
    rec = null;
    var dismissed = done ? update(done.id, function (now) { now.dismissed = true; }) : Promise.resolve();
    dismissed.catch(function () {}).then(function () {
      if (navigator.onLine) { location.reload(); return; }
      boot.ticket = null;
      while (chat.children.length > 1) chat.lastChild.remove();
      show(nextStep(), false, true);
    });
  }

  // Rebuild a conversation kept on the phone, instantly, in the page's language.
  function replay() {
    while (chat.children.length > 1) chat.lastChild.remove();
    survey.questions.forEach(function (q) {
      var a = answerOf(q.id), skipped = rec.skipped.indexOf(q.id) >= 0;
      if (!a && !skipped) return;
      bubble('in', q.text, 'm-' + q.id);
      bubble('out', a ? words(q, a.value) : T.skip);
    });
    if (rec.contactStep) {
      bubble('in', T.contact_question, 'm-contact');
      bubble('out', rec.contactStep === 'yes' || rec.contact ? T.contact_yes : T.contact_no);
      if (rec.contact) { bubble('in', T.contact_ask, 'm-address'); bubble('out', T.contact_given); }
    }
    var step = nextStep();
    return step.end ? finish(true) : show(step, true, false);
  }

  function showStatus(r, what) {
    var text = '';
    if (what === 'offline' && r && r.rev > r.sentRev) text = T.status_offline;
    else if (r && r.state === 'used') text = T.status_used;
    else if (r && r.state === 'reused') text = T.status_reused;
    else if (r && (r.state === 'rejected' || r.state === 'conflict')) text = T.status_rejected;
    else if (r && r.complete) text = r.sentRev === r.rev ? T.status_sent : (navigator.onLine ? T.status_saving : T.status_offline);
    else if (r && r.rev > r.sentRev && !navigator.onLine) text = T.status_offline;
    if (statusLine.textContent !== text) statusLine.textContent = text;
  }

  VoxloopOutbox.listen(function (what, changed) {
    if (changed && rec && changed.id === rec.id) {
      rec.sentRev = Math.max(rec.sentRev, changed.sentRev);
      rec.state = changed.state;
      if (changed.contact && rec.contact && !changed.contact.address && rec.rev === changed.rev) rec.contact.address = '';
    }
    showStatus(rec, what);
  });

  // The first question answers at once: its controls replace the plain form before anything
  // is read from IndexedDB; a kept conversation, once found, takes over.
  var form = doc.getElementById('form');
  var first = survey.questions[0];
  var early = form.querySelector('input[name="q.' + first.id + '"]:checked'); // tapped before this ran
  reply.append(controls(first));
  form.hidden = true; // kept in the page, unused: the plain form is the fallback without this script
  form.after(reply);
  if (self.performance && performance.mark) performance.mark('voxloop:interactive');

  var ready = all().then(function (recs) {
    var mine = recs.filter(function (r) {
      return r.url === boot.responses && r.survey === survey.key;
    }).sort(function (a, b) { return b.updated - a.updated; })[0];
    if (!mine || mine.state !== 'open' || mine.dismissed || rec || busy) return; // busy: the first tap came first
    if (mine.surveyVersion !== survey.version) return; // the survey changed: kept answers go out as they are
    if (mine.complete && Date.now() - mine.finishedAt > RESUME_DONE_MS) return;
    if (!mine.complete && !mine.answers.length && !mine.skipped.length) return;
    rec = mine;
    return replay();
  }).catch(function () {});

  ready.then(function () { flush().catch(function () {}); });
  if (early && !rec) answer(first, first.kind === 'choice' ? [early.value] : Number(early.value));
  self.addEventListener('online', function () { attempt = 0; flush().catch(function () {}); });
  doc.addEventListener('visibilitychange', function () {
    if (doc.visibilityState === 'hidden') flush().catch(function () {});
  });

  if ('serviceWorker' in navigator) {
    self.addEventListener('load', function () {
      var url = boot.sw;
      if (self.trustedTypes) {
        url = self.trustedTypes.createPolicy('voxloop', {
          createScriptURL: function (u) { if (u === boot.sw) return u; throw new TypeError('not the service worker'); }
        }).createScriptURL(boot.sw);
      }
      var first = !navigator.serviceWorker.controller;
      navigator.serviceWorker.register(url, { scope: boot.sw.replace(/sw\.js$/, '') }).then(function () {
        // First visit: the worker did not see this page load, so keep a copy for a reload
        // without network (later loads pass through the worker, which keeps them itself).
        if (first) {
          return self.caches.open('voxloop-pages-' + boot.v).then(function (cache) {
            return cache.add(location.pathname);
          });
        }
      }).catch(function () {});
    });
    VoxloopOutbox.listen(function (what) {
      if (what !== 'offline' || !navigator.serviceWorker.ready) return;
      navigator.serviceWorker.ready.then(function (reg) {
        if (reg.sync) return reg.sync.register('voxloop-outbox');
      }).catch(function () {});
    });
  }
})(self);
