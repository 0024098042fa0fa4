// The chat page: plain HTML, CSS and JS, no build step. Kept in a string module
// so the example runs unchanged on runtimes without a file system.
// The client script avoids backticks and "${" so it can live in this template.
export const indexHtml = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portio chat</title>
<link rel="icon" href="data:,">
<style>
  :root {
    --bg: #f4f5f7; --panel: #fff; --text: #1d2330; --muted: #6b7385; --line: #e2e5eb;
    --accent: #4f46e5; --accent-soft: #eef0ff; --ok: #16a34a; --warn: #d97706; --bad: #dc2626;
    font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
    color: var(--text); background: var(--bg);
  }
  * { box-sizing: border-box; }
  body { margin: 0; height: 100vh; display: flex; justify-content: center; }
  .app { width: 100%; max-width: 900px; height: 100%; display: grid; padding: 16px; gap: 12px;
    grid-template-rows: auto auto 1fr auto; grid-template-columns: minmax(0, 1fr); }
  header { display: flex; align-items: center; justify-content: space-between; }
  h1 { font-size: 20px; margin: 0; }
  h1 span { color: var(--accent); }
  #status { font-size: 13px; color: var(--muted); display: flex; align-items: center; gap: 6px; }
  #status::before { content: ""; width: 9px; height: 9px; border-radius: 50%; background: var(--muted); }
  #status[data-state="connected"]::before, #status[data-state="recovered"]::before { background: var(--ok); }
  #status[data-state="reconnecting"]::before { background: var(--warn); }
  #status[data-state="disconnected"]::before { background: var(--bad); }
  form { display: flex; gap: 8px; margin: 0; }
  input { flex: 1; min-width: 0; padding: 9px 12px; border: 1px solid var(--line); border-radius: 8px; font: inherit; background: var(--panel); color: inherit; }
  input:focus { outline: 2px solid var(--accent-soft); border-color: var(--accent); }
  button { padding: 9px 18px; border: 0; border-radius: 8px; background: var(--accent); color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
  button:disabled, input:disabled { opacity: .5; cursor: not-allowed; }
  #join-form input { max-width: 220px; }
  .main { display: grid; grid-template-columns: minmax(0, 1fr) 190px; gap: 12px; min-height: 0; }
  .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; min-height: 0; }
  .chat { display: flex; flex-direction: column; }
  #messages { list-style: none; margin: 0; padding: 14px; flex: 1; overflow-y: auto; display: flex; flex-direction: column; gap: 8px; }
  #messages li { max-width: 75%; align-self: flex-start; }
  #messages li.msg .bubble { background: var(--bg); padding: 7px 12px; border-radius: 12px 12px 12px 4px; white-space: pre-wrap; overflow-wrap: anywhere; }
  #messages li.msg.mine { align-self: flex-end; }
  #messages li.msg.mine .bubble { background: var(--accent); color: #fff; border-radius: 12px 12px 4px 12px; }
  #messages li .meta { font-size: 12px; color: var(--muted); margin: 0 4px 2px; }
  #messages li.mine .meta { text-align: right; }
  #messages li.system { align-self: center; max-width: 100%; font-size: 12px; color: var(--muted); }
  #messages li.error { align-self: center; max-width: 100%; font-size: 12px; color: var(--bad); }
  #messages .empty { margin: auto; align-self: center; color: var(--muted); }
  #typing { min-height: 22px; padding: 0 16px 4px; font-size: 13px; color: var(--muted); font-style: italic; }
  aside { padding: 14px; overflow-y: auto; }
  #room-label { font-weight: 700; margin-bottom: 12px; overflow-wrap: anywhere; }
  aside h2 { margin: 0 0 8px; font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
  #members { list-style: none; margin: 0; padding: 0; }
  #members li { padding: 3px 0; display: flex; align-items: center; gap: 8px; }
  #members li::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--ok); }
  #members li.me { font-weight: 600; }
  @media (max-width: 640px) {
    .app { padding: 10px; gap: 8px; } .main { grid-template-columns: minmax(0, 1fr); } button { padding: 9px 14px; }
    aside { display: none; } #join-form input { max-width: none; }
  }
</style>
</head>
<body>
<div class="app">
  <header>
    <h1><span>Portio</span> chat</h1>
    <div id="status" data-state="connecting" role="status">connecting</div>
  </header>

  <form id="join-form" autocomplete="off">
    <input id="name" placeholder="Your name" maxlength="32" required>
    <input id="room" placeholder="Room" value="lobby" maxlength="32" required>
    <button id="join" type="submit">Join</button>
  </form>

  <div class="main">
    <section class="panel chat">
      <ul id="messages" aria-live="polite"><li class="empty">Pick a name and a room, then join.</li></ul>
      <div id="typing" aria-live="polite"></div>
    </section>
    <aside class="panel">
      <div id="room-label">Not in a room</div>
      <h2>Members</h2>
      <ul id="members"></ul>
    </aside>
  </div>

  <form id="composer" autocomplete="off">
    <input id="text" placeholder="Write a message…" maxlength="1000" disabled>
    <button id="send" type="submit" disabled>Send</button>
  </form>
</div>

<script src="/socket.io.min.js"></script>
<script>
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var statusEl = $("status"), messagesEl = $("messages"), typingEl = $("typing"), membersEl = $("members");
  var nameEl = $("name"), roomEl = $("room"), textEl = $("text"), sendEl = $("send");

  var me = null;            // { name, room } once joined
  var typers = new Map();   // name -> timeout clearing a stale "typing"
  var typingSent = false, typingIdle = null;

  var socket = io();
  window.socket = socket; // handy in dev tools (and for the browser test)

  // ---- connection status -------------------------------------------------
  function setStatus(state, text) {
    statusEl.dataset.state = state;
    statusEl.textContent = text || state;
  }
  socket.on("connect", function () {
    if (socket.recovered) {
      setStatus("recovered");          // rooms and missed messages came back
    } else {
      setStatus("connected");
      if (me) join(me.name, me.room); // server forgot us: join again
    }
  });
  socket.on("disconnect", function () {
    setStatus("disconnected");
    clearTypers();
  });
  socket.io.on("reconnect_attempt", function (attempt) {
    setStatus("reconnecting", "reconnecting (attempt " + attempt + ")");
  });

  // ---- rendering ---------------------------------------------------------
  function time(at) {
    return new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  function append(li) {
    var empty = messagesEl.querySelector(".empty");
    if (empty) empty.remove();
    var atBottom = messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight < 40;
    messagesEl.appendChild(li);
    if (atBottom) messagesEl.scrollTop = messagesEl.scrollHeight;
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function addMessage(msg) {
    var li = el("li", "msg" + (me && msg.from === me.name ? " mine" : ""));
    li.appendChild(el("div", "meta", msg.from + " · " + time(msg.at)));
    li.appendChild(el("div", "bubble", msg.text));
    append(li);
  }
  function addNote(kind, text) {
    append(el("li", kind, text));
  }
  function renderMembers(names) {
    membersEl.replaceChildren.apply(membersEl, names.map(function (name) {
      return el("li", me && name === me.name ? "me" : "", name);
    }));
  }
  function renderTypers() {
    var names = Array.from(typers.keys());
    typingEl.textContent =
      names.length === 0 ? "" :
      names.length === 1 ? names[0] + " is typing…" :
      names.length === 2 ? names[0] + " and " + names[1] + " are typing…" :
      names.length + " people are typing…";
  }
  function setTyper(name, typing) {
    clearTimeout(typers.get(name));
    typers.delete(name);
    // Forget a typist that went quiet without telling us.
    if (typing) typers.set(name, setTimeout(function () { setTyper(name, false); }, 6000));
    renderTypers();
  }
  function clearTypers() {
    typers.forEach(function (timer) { clearTimeout(timer); });
    typers.clear();
    renderTypers();
  }

  // ---- server events -----------------------------------------------------
  socket.on("message", function (msg) {
    setTyper(msg.from, false);
    addMessage(msg);
  });
  socket.on("system", function (msg) { addNote("system", msg.text); });
  socket.on("typing", function (t) { setTyper(t.from, t.typing); });
  socket.on("members", renderMembers);

  // ---- joining -----------------------------------------------------------
  function join(name, room) {
    socket.timeout(5000).emit("join", name, room, function (err, res) {
      if (err) return addNote("error", "Could not join: no answer from the server");
      if (res.error) return addNote("error", res.error);
      var switched = !me || me.room !== res.room;
      me = { name: name, room: res.room };
      if (switched) {
        messagesEl.replaceChildren();
        clearTypers();
      }
      $("room-label").textContent = "# " + res.room;
      renderMembers(res.members);
      textEl.disabled = sendEl.disabled = false;
      textEl.focus();
    });
  }
  $("join-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var name = nameEl.value.trim(), room = roomEl.value.trim();
    if (name && room) join(name, room);
  });

  // ---- sending & typing --------------------------------------------------
  function stopTyping() {
    clearTimeout(typingIdle);
    if (typingSent) socket.emit("typing", false);
    typingSent = false;
  }
  textEl.addEventListener("input", function () {
    if (!textEl.value) return stopTyping();
    if (!typingSent) socket.emit("typing", true);
    typingSent = true;
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, 2000);
  });
  $("composer").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = textEl.value;
    if (!text.trim()) return;
    stopTyping();
    textEl.value = "";
    socket.timeout(5000).emit("message", text, function (err, res) {
      if (err) addNote("error", "Not delivered: " + text);
      else if (res.error) addNote("error", res.error);
    });
  });
})();
</script>
</body>
</html>
`;
