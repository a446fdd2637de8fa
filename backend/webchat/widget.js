/* Santral website chat widget. A shop embeds it with
 *   <script src="https://santral.example/widget.js" defer></script>
 * (data-lang="en" for English; for a logged-in customer the shop may add data-name, data-email
 * and data-phone, which go on the customer's contact). Self-contained: every id and class starts
 * with "santral-" so nothing clashes with the shop's page. The visitor's identity (id + secret issued by the
 * server) stays in localStorage, so a reload keeps the conversation. */
(function () {
  "use strict";
  if (window.__santralWidget) return;
  window.__santralWidget = true;

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script) return;
  var base = script.src.replace(/\/widget\.js(\?.*)?$/, "");
  var lang = (script.getAttribute("data-lang") || "tr").toLowerCase() === "en" ? "en" : "tr";
  var T = {
    tr: {
      open: "Canlı destek", close: "Kapat", title: "Canlı destek",
      hello: "Merhaba! Size nasıl yardımcı olabiliriz?", placeholder: "Mesajınızı yazın…",
      send: "Gönder", attach: "Dosya ekle", you: "Siz", agent: "Temsilci",
      connecting: "Bağlanıyor…", offline: "Bağlantı koptu, yeniden bağlanılıyor…",
      uploading: "Dosya yükleniyor…", tooLarge: "Dosya en fazla 10 MB olabilir.",
      uploadFailed: "Dosya gönderilemedi.", failed: "Mesaj gönderilemedi.", file: "Dosya"
    },
    en: {
      open: "Live chat", close: "Close", title: "Live chat",
      hello: "Hello! How can we help you?", placeholder: "Write your message…",
      send: "Send", attach: "Attach a file", you: "You", agent: "Agent",
      connecting: "Connecting…", offline: "Connection lost, reconnecting…",
      uploading: "Uploading the file…", tooLarge: "A file can be at most 10 MB.",
      uploadFailed: "The file could not be sent.", failed: "The message could not be sent.", file: "File"
    }
  }[lang];
  var storeKey = "santral-webchat:" + base;
  var MAX_FILE = 10 * 1024 * 1024;

  var css = [
    "#santral-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;border-radius:50%;border:0;background:#0b6e4f;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);font:600 24px/1 system-ui,sans-serif}",
    "#santral-launcher:focus-visible,#santral-panel button:focus-visible,#santral-panel textarea:focus-visible{outline:3px solid #f4b400;outline-offset:2px}",
    "#santral-panel{position:fixed;right:20px;bottom:88px;z-index:2147483000;width:360px;max-width:calc(100vw - 24px);height:520px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#fff;color:#1b1b1b;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);overflow:hidden;font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif}",
    "#santral-panel[hidden]{display:none}",
    "#santral-panel *{box-sizing:border-box}",
    ".santral-header{display:flex;align-items:center;justify-content:space-between;padding:12px 14px;background:#0b6e4f;color:#fff}",
    ".santral-header h2{margin:0;font-size:16px;font-weight:600;color:#fff}",
    ".santral-close{background:transparent;border:0;color:#fff;font-size:22px;cursor:pointer;line-height:1;padding:4px 8px}",
    ".santral-log{flex:1;overflow-y:auto;padding:12px;background:#f5f7f6;display:flex;flex-direction:column;gap:8px}",
    ".santral-msg{max-width:82%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere}",
    ".santral-in{align-self:flex-end;background:#0b6e4f;color:#fff;border-bottom-right-radius:4px}",
    ".santral-out,.santral-hello{align-self:flex-start;background:#fff;border:1px solid #dde3e0;border-bottom-left-radius:4px}",
    ".santral-pending{opacity:.6}",
    ".santral-msg a{color:inherit;text-decoration:underline;display:block}",
    ".santral-status{padding:4px 12px;font-size:12px;color:#6b1d1d;background:#fdecea;min-height:0}",
    ".santral-status:empty{display:none}",
    ".santral-form{display:flex;gap:6px;padding:8px;border-top:1px solid #dde3e0;align-items:flex-end}",
    ".santral-form textarea{flex:1;resize:none;border:1px solid #c9d1cd;border-radius:8px;padding:8px;font:inherit;min-height:38px;max-height:120px;color:#1b1b1b;background:#fff}",
    ".santral-form button{border:0;border-radius:8px;padding:0 12px;height:38px;cursor:pointer;font:inherit}",
    ".santral-send{background:#0b6e4f;color:#fff}",
    ".santral-attach{background:#e7ecea;color:#1b1b1b}",
    ".santral-choices{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}",
    ".santral-choice{border:1px solid #0b6e4f;background:#fff;color:#0b6e4f;border-radius:16px;padding:5px 12px;cursor:pointer;font:inherit}",
    ".santral-choice[disabled]{opacity:.5;cursor:default}",
    ".santral-sr{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "@media (max-width:480px){#santral-panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}}"
  ].join("\n");

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }

  var style = el("style", { id: "santral-style" });
  style.textContent = css;
  var launcher = el("button", { id: "santral-launcher", type: "button", "aria-label": T.open, "aria-expanded": "false", "aria-controls": "santral-panel" }, "💬");
  var panel = el("div", { id: "santral-panel", role: "dialog", "aria-label": T.title, hidden: "" });
  var header = el("div", { class: "santral-header" });
  header.appendChild(el("h2", {}, T.title));
  var closeBtn = el("button", { type: "button", class: "santral-close", "aria-label": T.close }, "×");
  header.appendChild(closeBtn);
  var log = el("div", { class: "santral-log", role: "log", "aria-live": "polite" });
  log.appendChild(el("div", { class: "santral-msg santral-hello" }, T.hello));
  var status = el("div", { class: "santral-status", role: "status" });
  var form = el("form", { class: "santral-form" });
  var label = el("label", { for: "santral-input", class: "santral-sr" }, T.placeholder);
  var input = el("textarea", { id: "santral-input", rows: "1", placeholder: T.placeholder, maxlength: "4096" });
  var fileInput = el("input", { id: "santral-file", type: "file", class: "santral-sr", tabindex: "-1", "aria-hidden": "true",
    accept: "image/*,.pdf,.doc,.docx,.xls,.xlsx,.odt,.ods,.txt,.csv" });
  var attachBtn = el("button", { type: "button", class: "santral-attach", "aria-label": T.attach, title: T.attach }, "📎");
  var sendBtn = el("button", { type: "submit", class: "santral-send" }, T.send);
  [label, fileInput, attachBtn, input, sendBtn].forEach(function (x) { form.appendChild(x); });
  [header, log, status, form].forEach(function (x) { panel.appendChild(x); });

  function mount() {
    document.head.appendChild(style);
    document.body.appendChild(launcher);
    document.body.appendChild(panel);
  }

  // State: the identity, the highest message id seen, messages shown, messages not yet acked.
  var identity = null;
  try { identity = JSON.parse(localStorage.getItem(storeKey) || "null"); } catch (e) { identity = null; }
  var after = 0, shown = {}, outbox = [], ws = null, attempt = 0, retryTimer = null, connecting = false;

  function saveIdentity(s) {
    identity = { visitor_id: s.visitor_id, visitor_secret: s.visitor_secret };
    try { localStorage.setItem(storeKey, JSON.stringify(identity)); } catch (e) { /* private mode */ }
  }
  // The identity never goes in a URL (proxies and access logs keep URLs): the socket gets it in
  // its first frame, file downloads in a text/plain POST body.
  function creds() {
    return JSON.stringify({ visitor_id: identity.visitor_id, visitor_secret: identity.visitor_secret });
  }
  function download(url, name) {
    fetch(base + url, { method: "POST", headers: { "Content-Type": "text/plain" }, body: creds() })
      .then(function (r) { if (!r.ok) throw new Error("file " + r.status); return r.blob(); })
      .then(function (b) {
        var href = URL.createObjectURL(b);
        var a = el("a", { href: href, download: name });
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(href); }, 60000);
      })
      .catch(function () { setStatus(T.failed); });
  }
  function setStatus(text) { status.textContent = text || ""; }

  function ensureSession(withoutDetails) {
    var req = { visitor_id: identity && identity.visitor_id, visitor_secret: identity && identity.visitor_secret };
    if (!withoutDetails) {
      ["name", "email", "phone"].forEach(function (k) {
        var v = script.getAttribute("data-" + k);
        if (v) req[k] = v;
      });
    }
    // text/plain keeps it a CORS-simple request: no preflight from the shop's origin.
    return fetch(base + "/webchat/session", {
      method: "POST", headers: { "Content-Type": "text/plain" },
      body: JSON.stringify(req)
    }).then(function (r) {
      // Details the server refuses (a malformed data-email) must not keep the chat closed.
      if (r.status === 400 && !withoutDetails) return ensureSession(true).then(function () { return null; });
      if (!r.ok) throw new Error("session " + r.status);
      return r.json();
    }).then(function (s) {
      if (!s) return; // done by the retry without details
      if (s.new) { after = 0; clearLog(); }
      saveIdentity(s);
    });
  }

  function clearLog() {
    shown = {};
    while (log.childNodes.length > 1) log.removeChild(log.lastChild);
  }

  function render(m, pending) {
    var key = m.client_id ? "c:" + m.client_id : "m:" + m.id;
    var node = shown[key];
    if (!node) {
      node = el("div", { class: "santral-msg " + (m.direction === "out" ? "santral-out" : "santral-in") });
      shown[key] = node;
      log.appendChild(node);
    } else {
      node.textContent = "";
    }
    node.classList.toggle("santral-pending", !!pending);
    var who = el("span", { class: "santral-sr" }, (m.direction === "out" ? T.agent : T.you) + ": ");
    node.appendChild(who);
    if (m.text) node.appendChild(document.createTextNode(m.text));
    (m.attachments || []).forEach(function (a) {
      var name = a.name || a.caption || T.file;
      if (a.url && identity) {
        var link = el("a", { href: "#", class: "santral-file" }, "📄 " + name);
        link.addEventListener("click", function (e) { e.preventDefault(); download(a.url, name); });
        node.appendChild(link);
      } else {
        node.appendChild(el("span", { class: "santral-file" }, "📄 " + name));
      }
    });
    // A chatbot's question: its choices as buttons; pressing one answers with its title.
    if (m.choices && m.choices.length) {
      var row = el("div", { class: "santral-choices", role: "group" });
      m.choices.forEach(function (c) {
        var b = el("button", { type: "button", class: "santral-choice" }, c.title);
        b.addEventListener("click", function () {
          Array.prototype.forEach.call(row.childNodes, function (x) { x.disabled = true; });
          sendFrame(c.title, null, c.id);
        });
        row.appendChild(b);
      });
      node.appendChild(row);
    }
    log.scrollTop = log.scrollHeight;
  }

  function connect() {
    if (ws || connecting) return;
    connecting = true;
    setStatus(identity ? "" : T.connecting);
    ensureSession().then(function () {
      connecting = false;
      ws = new WebSocket(base.replace(/^http/, "ws") + "/webchat/socket");
      ws.onopen = function () {
        ws.send(JSON.stringify({ type: "auth", visitor_id: identity.visitor_id, visitor_secret: identity.visitor_secret, after: after }));
        outbox.forEach(function (f) { ws.send(JSON.stringify(f)); });
      };
      ws.onmessage = function (ev) {
        var f;
        try { f = JSON.parse(ev.data); } catch (e) { return; }
        if (f.type === "ready") {
          attempt = 0;
          setStatus("");
        } else if (f.type === "message") {
          if (f.id > after) after = f.id;
          render(f, false);
        } else if (f.type === "ack") {
          outbox = outbox.filter(function (o) { return o.id !== f.id; });
        } else if (f.type === "error") {
          outbox = outbox.filter(function (o) { return o.id !== f.id; });
          var node = shown["c:" + f.id];
          if (node) node.classList.remove("santral-pending");
          setStatus(T.failed);
        }
      };
      ws.onclose = function () { ws = null; retry(); };
    }).catch(function () { connecting = false; retry(); });
  }

  function retry() {
    if (retryTimer) return;
    setStatus(T.offline);
    var delay = Math.min(30000, 1000 * Math.pow(2, attempt++)) * (0.5 + Math.random() / 2);
    retryTimer = setTimeout(function () { retryTimer = null; connect(); }, delay);
  }

  function newID() {
    var b = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  function sendFrame(text, files, choice) {
    var f = { type: "message", id: newID(), text: text };
    if (choice) f.choice = choice;
    if (files) f.attachments = files.map(function (x) { return { key: x.key }; });
    outbox.push(f);
    render({ client_id: f.id, direction: "in", text: text, attachments: files }, true);
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(f));
    else connect();
  }

  function upload(file) {
    if (file.size > MAX_FILE) { setStatus(T.tooLarge); return; }
    setStatus(T.uploading);
    var run = identity ? Promise.resolve() : ensureSession();
    run.then(function () {
      var fd = new FormData();
      fd.append("visitor_id", identity.visitor_id);
      fd.append("visitor_secret", identity.visitor_secret);
      fd.append("file", file, file.name);
      return fetch(base + "/webchat/upload", { method: "POST", body: fd });
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error((body && body.error && body.error.message) || "upload");
        return body;
      });
    }).then(function (f) {
      setStatus("");
      sendFrame("", [f]);
    }).catch(function () { setStatus(T.uploadFailed); });
  }

  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) { connect(); input.focus(); log.scrollTop = log.scrollHeight; } else { launcher.focus(); }
  }

  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  closeBtn.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") setOpen(false); });
  attachBtn.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    if (fileInput.files && fileInput.files[0]) upload(fileInput.files[0]);
    fileInput.value = "";
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    sendFrame(text, null);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : sendBtn.click(); }
  });

  function start() {
    mount();
    if (identity) connect(); // a returning visitor: fetch the history and new replies now
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
