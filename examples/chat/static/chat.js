// Browser side of the socketio-rs chat example. Plain script, no build step, no framework:
// it only needs the official client (`io`, served as /socket.io.min.js).
//
// Every piece of text that comes from a user or from the server is put in the page with
// textContent (never innerHTML), so nothing a user types can become markup.
(function () {
  "use strict";

  const ACK_TIMEOUT_MS = 5000; // an ack that does not come back in time is reported as an error
  const TYPING_THROTTLE_MS = 1000; // at most one `typing: true` a second while typing
  const TYPING_IDLE_MS = 2000; // `typing: false` after this long without a keystroke
  const TYPING_EXPIRE_MS = 5000; // someone else's indicator goes away if not refreshed in time
  const MAX_ENTRIES_PER_ROOM = 500; // messages and notices kept in memory for each room
  const DEFAULT_ROOM = "general";
  // Files travel as binary attachments; with base64 on long-polling they must stay under the
  // server's 1 MB payload limit.
  const MAX_FILE_BYTES = 700 * 1000;
  const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp|avif|bmp)$/;

  const $ = (id) => document.getElementById(id);
  const el = {
    conn: $("conn"),
    connState: $("conn-state"),
    connTransport: $("conn-transport"),
    reconnectBtn: $("reconnect-btn"),
    offline: $("offline"),
    me: $("me"),
    meAvatar: $("me-avatar"),
    nickForm: $("nick-form"),
    nickInput: $("nick-input"),
    nickBtn: $("nick-btn"),
    nickError: $("nick-error"),
    roomList: $("room-list"),
    joinForm: $("join-form"),
    joinInput: $("join-input"),
    joinBtn: $("join-btn"),
    joinError: $("join-error"),
    roomName: $("room-name"),
    leaveBtn: $("leave-btn"),
    messages: $("messages"),
    typing: $("typing"),
    composer: $("composer"),
    composerInput: $("composer-input"),
    sendBtn: $("send-btn"),
    attachBtn: $("attach-btn"),
    fileInput: $("file-input"),
    membersCount: $("members-count"),
    memberList: $("member-list"),
  };

  // ---- state -------------------------------------------------------------------------------

  const state = {
    connected: false,
    id: null,
    nickname: null,
    // The nickname the user chose (not the guest one): asked again after a reconnection.
    chosenNickname: null,
    // A `set nickname` in flight: its `renamed` echo (if the server sends us one) is ours.
    pendingNickname: null,
    previousNickname: null,
    // name -> { entries: [...], typing: Map<nickname, timer>, unread: number }
    rooms: new Map(),
    // name -> messages received for a room whose `join` ack has not come yet
    joining: new Map(),
    current: null,
    // room -> { names: [nickname, ...], stale: bool } from the server's `members` events;
    // marked stale while offline, until the server tells again.
    members: new Map(),
    // Files being sent (their acks not back yet).
    sendingFiles: 0,
    everConnected: false,
  };

  function room(name) {
    let r = state.rooms.get(name);
    if (!r) {
      r = { entries: [], typing: new Map(), unread: 0 };
      state.rooms.set(name, r);
    }
    return r;
  }

  // ---- the connection --------------------------------------------------------------------------

  // Same origin, default options: the page connects as soon as it opens.
  const socket = io();

  // kind: "connecting" (first connection), "connected", "reconnecting" (offline, the client
  // retries by itself) or "disconnected" (offline for good: the Reconnect button).
  let reconnectAttempt = 0;

  function setConnState(kind, label) {
    el.conn.dataset.state = kind;
    el.connState.textContent = label || kind;
    const transport = socket.connected && socket.io.engine ? socket.io.engine.transport.name : "";
    el.connTransport.textContent = transport;
    el.connTransport.title = transport === "websocket" ? "Engine.IO transport: WebSocket"
      : transport === "polling" ? "Engine.IO transport: HTTP long-polling" : "";
    el.conn.dataset.transport = transport;
    el.reconnectBtn.hidden = kind !== "disconnected";
    el.offline.hidden = kind !== "reconnecting" && kind !== "disconnected";
    if (kind === "reconnecting") {
      const attempt = reconnectAttempt > 0 ? ` (attempt ${reconnectAttempt})` : "";
      el.offline.textContent = `You are offline: reconnecting${attempt}… Your nickname and rooms come back with the connection.`;
    } else if (kind === "disconnected") {
      el.offline.textContent = "You are offline. Press Reconnect to come back.";
    }
    updateControls();
  }

  function setReconnecting() {
    const attempt = reconnectAttempt > 0 ? ` (attempt ${reconnectAttempt})` : "";
    setConnState("reconnecting", `offline, reconnecting${attempt}…`);
  }

  socket.on("connect", () => {
    state.connected = true;
    state.everConnected = true;
    state.id = socket.id;
    reconnectAttempt = 0;
    setConnState("connected", "connected");
    // The transport changes when polling is upgraded to WebSocket.
    socket.io.engine.once("upgrade", () => {
      if (socket.connected) setConnState("connected", "connected");
    });
  });

  socket.on("disconnect", (reason) => {
    state.connected = false;
    stopTyping(false);
    // `socket.active` is false when the server or the user closed the connection on purpose:
    // the client will not reconnect by itself then.
    if (socket.active) setReconnecting();
    else setConnState("disconnected", "disconnected");
    clearAllTyping();
    for (const m of state.members.values()) m.stale = true;
    renderMembers();
    notice(state.current, `Disconnected (${reason}).`, "error");
  });

  socket.on("connect_error", (err) => {
    if (!socket.active) setConnState("disconnected", `connection refused: ${err.message}`);
    else if (state.everConnected) setReconnecting();
    else setConnState("connecting", "connecting… (retrying)");
  });

  socket.io.on("reconnect_attempt", (attempt) => {
    reconnectAttempt = attempt;
    if (state.everConnected) setReconnecting();
    else setConnState("connecting", `connecting (attempt ${attempt})…`);
  });

  el.reconnectBtn.addEventListener("click", () => {
    setConnState("connecting", "connecting…");
    socket.connect();
  });

  // ---- server events -------------------------------------------------------------------------

  socket.on("welcome", (msg) => {
    if (!msg || typeof msg !== "object") return;
    const firstWelcome = state.nickname === null;
    state.id = msg.id || socket.id;
    setMyNickname(String(msg.nickname || "guest"));

    const serverRooms = Array.isArray(msg.rooms) ? msg.rooms.map(String) : [DEFAULT_ROOM];
    // Rooms we were in before a reconnection but that the new session does not have yet.
    const toRejoin = [...state.rooms.keys()].filter((name) => !serverRooms.includes(name));
    for (const name of serverRooms) room(name);
    if (!state.current || !state.rooms.has(state.current)) {
      state.current = serverRooms.includes(DEFAULT_ROOM) ? DEFAULT_ROOM : serverRooms[0] || null;
    }
    const restore = !firstWelcome && state.chosenNickname && state.chosenNickname !== state.nickname;
    if (firstWelcome) {
      notice(state.current, `Welcome! You are ${state.nickname}. Pick a nickname on the left.`);
    } else {
      notice(state.current, restore ? "Reconnected." : `Reconnected as ${state.nickname}.`);
    }
    renderAll();

    if (restore) requestNickname(state.chosenNickname, true);
    for (const name of toRejoin) {
      requestJoin(name, { switchTo: false, rejoin: true });
    }
  });

  socket.on("message", (msg) => {
    if (!msg || typeof msg.room !== "string") return;
    const from = String(msg.from);
    const entry = {
      kind: "message",
      from,
      text: String(msg.text),
      at: typeof msg.at === "number" ? msg.at : Date.now(),
      mine: from === state.nickname,
    };
    const r = state.rooms.get(msg.room);
    if (!r) {
      // A message of a room being joined can come before the ack of `join`: kept for it.
      // Anything else is late news from a room we left.
      const buffered = state.joining.get(msg.room);
      if (buffered) buffered.push(entry);
      return;
    }
    addEntry(msg.room, entry);
    // Whoever sent a message has stopped typing it.
    clearTyping(msg.room, from);
    if (msg.room !== state.current) {
      r.unread += 1;
      renderRooms();
    }
  });

  socket.on("typing", (msg) => {
    if (!msg || typeof msg.room !== "string" || !state.rooms.has(msg.room)) return;
    const from = String(msg.from);
    if (from === state.nickname) return;
    if (msg.typing) {
      const r = room(msg.room);
      clearTimeout(r.typing.get(from));
      r.typing.set(from, setTimeout(() => clearTyping(msg.room, from), TYPING_EXPIRE_MS));
      if (msg.room === state.current) renderTyping();
      renderRooms();
    } else {
      clearTyping(msg.room, from);
    }
  });

  socket.on("members", (msg) => {
    if (!msg || typeof msg.room !== "string" || !Array.isArray(msg.members)) return;
    state.members.set(msg.room, { names: msg.members.map(String), stale: false });
    if (msg.room === state.current) renderMembers();
  });

  socket.on("file", (msg) => {
    if (!msg || typeof msg.room !== "string") return;
    const bytes = toBytes(msg.data);
    if (!bytes) return;
    const from = String(msg.from);
    const type = typeof msg.type === "string" ? msg.type : "application/octet-stream";
    const entry = {
      kind: "file",
      from,
      name: String(msg.name || "file"),
      type,
      size: bytes.byteLength,
      // The bytes stay in the page, as a blob: URL for the <img> or the download link.
      url: URL.createObjectURL(new Blob([bytes], { type: IMAGE_TYPES.test(type) ? type : "application/octet-stream" })),
      at: Date.now(),
      mine: from === state.nickname,
    };
    const r = state.rooms.get(msg.room);
    if (!r) {
      URL.revokeObjectURL(entry.url);
      return;
    }
    addEntry(msg.room, entry);
    if (msg.room !== state.current) {
      r.unread += 1;
      renderRooms();
    }
  });

  socket.on("joined", (msg) => {
    if (!msg || typeof msg.room !== "string" || !state.rooms.has(msg.room)) return;
    notice(msg.room, `${msg.nickname} joined #${msg.room}`);
  });

  socket.on("left", (msg) => {
    if (!msg || typeof msg.room !== "string" || !state.rooms.has(msg.room)) return;
    clearTyping(msg.room, String(msg.nickname));
    notice(msg.room, `${msg.nickname} left #${msg.room}`);
  });

  socket.on("renamed", (msg) => {
    if (!msg) return;
    const from = String(msg.from);
    const to = String(msg.to);
    // Our own rename, echoed back: the ack of `set nickname` already handled it.
    if ((from === state.nickname && to === state.pendingNickname) ||
        (to === state.nickname && from === state.previousNickname)) {
      return;
    }
    // Someone who was typing keeps typing under the new name.
    for (const [name, r] of state.rooms) {
      const timer = r.typing.get(from);
      if (timer !== undefined) {
        clearTimeout(timer);
        r.typing.delete(from);
        r.typing.set(to, setTimeout(() => clearTyping(name, to), TYPING_EXPIRE_MS));
      }
    }
    // Everyone shares `general` with everyone; the notice goes to the room on screen.
    notice(state.current, `${from} is now known as ${to}`);
    renderTyping();
    renderMembers();
  });

  // ---- requests (client -> server, with acks) ---------------------------------------------------

  // Emits with an ack and a timeout; `done(response)` gets the server's answer, or
  // `{ ok: false, error }` when the ack did not come (timeout, disconnection).
  function request(event, arg, done) {
    socket.timeout(ACK_TIMEOUT_MS).emit(event, arg, (err, res) => {
      if (err) {
        done({ ok: false, error: "no answer from the server" });
      } else if (!res || typeof res !== "object") {
        done({ ok: false, error: "unexpected answer from the server" });
      } else {
        done(res);
      }
    });
  }

  // `restore`: taking the chosen nickname back after a reconnection (no input field involved).
  function requestNickname(name, restore) {
    state.pendingNickname = name;
    el.nickBtn.disabled = true;
    request("set nickname", name, (res) => {
      state.pendingNickname = null;
      updateControls();
      if (res.ok) {
        const old = state.nickname;
        state.chosenNickname = String(res.nickname || name);
        state.previousNickname = old;
        setMyNickname(state.chosenNickname);
        if (!restore) {
          el.nickInput.value = "";
          showError(el.nickError, null);
          if (old !== state.nickname) notice(state.current, `You are now ${state.nickname}.`);
        }
      } else if (restore) {
        state.chosenNickname = null;
        notice(state.current, `Could not take back the nickname ${name}: ${res.error || "refused"}. You are ${state.nickname}.`, "error");
      } else {
        showError(el.nickError, res.error || "nickname refused");
      }
    });
  }

  // `opts.switchTo`: show the room once joined; `opts.rejoin`: a silent join after a reconnection.
  function requestJoin(name, opts) {
    el.joinBtn.disabled = true;
    if (!state.rooms.has(name)) state.joining.set(name, []);
    request("join", name, (res) => {
      const early = state.joining.get(name) || [];
      state.joining.delete(name);
      updateControls();
      if (!res.ok) {
        if (opts.rejoin) {
          notice(name, `Could not rejoin #${name}: ${res.error || "refused"}`, "error");
        } else {
          showError(el.joinError, res.error || "could not join");
        }
        return;
      }
      const joined = typeof res.room === "string" ? res.room : name;
      const r = room(joined);
      const history = (Array.isArray(res.history) ? res.history : [])
        .filter((m) => m && typeof m === "object")
        .map((m) => ({
          kind: "message",
          from: String(m.from),
          text: String(m.text),
          at: typeof m.at === "number" ? m.at : Date.now(),
          mine: String(m.from) === state.nickname,
        }));
      if (opts.rejoin) {
        // After a reconnection we keep what we had, and add what we missed meanwhile.
        const seen = new Set(r.entries.filter((e) => e.kind === "message").map(messageKey));
        r.entries.push(...history.filter((m) => !seen.has(messageKey(m))));
        r.entries.push({ kind: "notice", text: `Rejoined #${joined}`, at: Date.now() });
      } else {
        // A room we were not in: its history, then what came before this answer.
        const seen = new Set(history.map(messageKey));
        r.entries = history;
        r.entries.push({ kind: "notice", text: `You joined #${joined}`, at: Date.now() });
        r.entries.push(...early.filter((m) => !seen.has(messageKey(m))));
      }
      if (!opts.rejoin) {
        el.joinInput.value = "";
        showError(el.joinError, null);
      }
      if (opts.switchTo) switchRoom(joined);
      else renderAll();
    });
  }

  function messageKey(m) {
    return `${m.at}\u0000${m.from}\u0000${m.text}`;
  }

  function requestLeave(name) {
    el.leaveBtn.disabled = true;
    request("leave", name, (res) => {
      updateControls();
      if (!res.ok) {
        notice(name, `Could not leave #${name}: ${res.error || "refused"}`, "error");
        return;
      }
      if (state.current === name) stopTyping(true);
      const r = state.rooms.get(name);
      if (r) for (const timer of r.typing.values()) clearTimeout(timer);
      if (r) for (const e of r.entries) if (e.url) URL.revokeObjectURL(e.url);
      state.rooms.delete(name);
      state.members.delete(name);
      if (state.current === name) {
        state.current = state.rooms.has(DEFAULT_ROOM) ? DEFAULT_ROOM : state.rooms.keys().next().value || null;
        notice(state.current, `You left #${name}`);
      }
      renderAll();
    });
  }

  // The field is emptied at once, so that one can send the next message before the server
  // answered the last; a refused message is given back.
  function sendMessage(text) {
    const target = state.current;
    stopTyping(true);
    el.composerInput.value = "";
    request("message", { room: target, text }, (res) => {
      if (!res.ok) {
        notice(target, `Message not sent: ${res.error || "refused"}`, "error");
        if (el.composerInput.value === "") el.composerInput.value = text;
      }
    });
  }

  function sendFile(file) {
    const target = state.current;
    if (!target) return;
    if (file.size > MAX_FILE_BYTES) {
      notice(target, `${file.name} is ${formatSize(file.size)}: files are limited to ${formatSize(MAX_FILE_BYTES)}.`, "error");
      return;
    }
    state.sendingFiles += 1;
    updateControls();
    file.arrayBuffer().then((data) => {
      // An ArrayBuffer: socket.io-client sends it as a binary attachment (a binary WebSocket
      // frame, or base64 on long-polling).
      const type = file.type || "application/octet-stream";
      request("file", { room: target, name: file.name, type, data }, (res) => {
        state.sendingFiles -= 1;
        updateControls();
        if (!res.ok) notice(target, `${file.name} not sent: ${res.error || "refused"}`, "error");
      });
    }, (err) => {
      state.sendingFiles -= 1;
      updateControls();
      notice(target, `Cannot read ${file.name}: ${err.message}`, "error");
    });
  }

  function toBytes(data) {
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return null;
  }

  // ---- typing (ours) ---------------------------------------------------------------------------

  let typingRoom = null; // the room we told we are typing in, or null
  let lastTypingSent = 0;
  let typingIdleTimer = null;

  function onComposerInput() {
    if (!state.connected || !state.current) return;
    if (el.composerInput.value.trim() === "") {
      stopTyping(true);
      return;
    }
    if (typingRoom !== null && typingRoom !== state.current) stopTyping(true);
    const now = Date.now();
    if (typingRoom === null || now - lastTypingSent >= TYPING_THROTTLE_MS) {
      socket.emit("typing", { room: state.current, typing: true });
      typingRoom = state.current;
      lastTypingSent = now;
    }
    clearTimeout(typingIdleTimer);
    typingIdleTimer = setTimeout(() => stopTyping(true), TYPING_IDLE_MS);
  }

  // `tell`: send `typing: false` (not when the connection is gone anyway).
  function stopTyping(tell) {
    clearTimeout(typingIdleTimer);
    typingIdleTimer = null;
    if (typingRoom !== null && tell && state.connected) {
      socket.emit("typing", { room: typingRoom, typing: false });
    }
    typingRoom = null;
  }

  // ---- others typing ---------------------------------------------------------------------------

  function clearTyping(roomName, nickname) {
    const r = state.rooms.get(roomName);
    if (!r || !r.typing.has(nickname)) return;
    clearTimeout(r.typing.get(nickname));
    r.typing.delete(nickname);
    if (roomName === state.current) renderTyping();
    renderRooms();
  }

  function clearAllTyping() {
    for (const r of state.rooms.values()) {
      for (const timer of r.typing.values()) clearTimeout(timer);
      r.typing.clear();
    }
    renderTyping();
    renderRooms();
  }

  function typingText(names) {
    if (names.length === 0) return "";
    if (names.length === 1) return `${names[0]} is typing…`;
    if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
    if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]} are typing…`;
    return `${names[0]}, ${names[1]} and ${names.length - 2} others are typing…`;
  }

  // ---- rendering ---------------------------------------------------------------------------

  function setMyNickname(name) {
    state.nickname = name;
    el.me.textContent = name;
    el.meAvatar.textContent = initial(name);
    el.meAvatar.style.backgroundColor = colorFor(name);
  }

  function initial(name) {
    const first = Array.from(name.trim())[0];
    return first ? first.toUpperCase() : "?";
  }

  // A stable colour per nickname (a hue from a string hash).
  function colorFor(name) {
    let h = 0;
    for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    return `hsl(${h % 360}, 55%, 45%)`;
  }

  function formatTime(ms) {
    const d = new Date(ms);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function formatSize(bytes) {
    if (bytes < 1000) return `${bytes} B`;
    if (bytes < 1000 * 1000) return `${(bytes / 1000).toFixed(1)} kB`;
    return `${(bytes / 1000 / 1000).toFixed(1)} MB`;
  }

  function showError(node, text) {
    node.textContent = text || "";
    node.hidden = !text;
  }

  // Adds a message or notice to a room, and to the screen when it is the room on screen.
  function addEntry(roomName, entry) {
    if (!roomName) return;
    const r = room(roomName);
    r.entries.push(entry);
    if (r.entries.length > MAX_ENTRIES_PER_ROOM) {
      const dropped = r.entries.splice(0, r.entries.length - MAX_ENTRIES_PER_ROOM);
      for (const old of dropped) if (old.url) URL.revokeObjectURL(old.url);
      if (roomName === state.current) renderMessages();
      return;
    }
    if (roomName === state.current) {
      const stick = isNearBottom();
      el.messages.appendChild(entryNode(entry));
      if (stick || entry.mine) scrollToBottom();
    }
  }

  function notice(roomName, text, kind) {
    if (!roomName || !state.rooms.has(roomName)) return;
    addEntry(roomName, { kind: kind === "error" ? "error" : "notice", text, at: Date.now() });
  }

  function entryNode(entry) {
    const li = document.createElement("li");
    if (entry.kind !== "message" && entry.kind !== "file") {
      li.className = entry.kind === "error" ? "notice error" : "notice";
      li.textContent = entry.text;
      return li;
    }
    li.className = `message${entry.kind === "file" ? " file" : ""}${entry.mine ? " mine" : ""}`;
    li.dataset.from = entry.from;

    const avatar = document.createElement("span");
    avatar.className = "avatar";
    avatar.setAttribute("aria-hidden", "true");
    avatar.textContent = initial(entry.from);
    avatar.style.backgroundColor = colorFor(entry.from);

    const body = document.createElement("div");
    body.className = "body";
    const meta = document.createElement("div");
    meta.className = "meta";
    const from = document.createElement("span");
    from.className = "from";
    from.textContent = entry.from;
    from.style.color = colorFor(entry.from);
    const time = document.createElement("time");
    time.className = "time";
    time.dateTime = new Date(entry.at).toISOString();
    time.title = new Date(entry.at).toLocaleString();
    time.textContent = formatTime(entry.at);
    meta.append(from, time);
    body.append(meta, entry.kind === "file" ? fileNode(entry) : textNode(entry.text));

    li.append(avatar, body);
    return li;
  }

  function textNode(value) {
    const text = document.createElement("div");
    text.className = "text";
    text.textContent = value;
    return text;
  }

  // An image is shown inline (and downloads when clicked); any other file is a download link.
  function fileNode(entry) {
    const box = document.createElement("div");
    box.className = "attachment";
    const link = document.createElement("a");
    link.href = entry.url;
    link.download = entry.name;
    link.title = `Download ${entry.name}`;
    if (IMAGE_TYPES.test(entry.type)) {
      link.className = "file-image";
      const img = document.createElement("img");
      img.src = entry.url;
      img.alt = entry.name;
      link.append(img);
      box.append(link);
    } else {
      link.className = "file-link";
      link.textContent = entry.name;
      box.append(link);
    }
    const size = document.createElement("span");
    size.className = "file-size";
    size.textContent = IMAGE_TYPES.test(entry.type) ? `${entry.name} · ${formatSize(entry.size)}` : formatSize(entry.size);
    box.append(size);
    return box;
  }

  function renderMembers() {
    const m = state.current ? state.members.get(state.current) : null;
    const names = m ? [...m.names] : [];
    const r = state.current ? state.rooms.get(state.current) : null;
    const items = names.map((name) => {
      const li = document.createElement("li");
      li.dataset.nickname = name;
      const avatar = document.createElement("span");
      avatar.className = "avatar small";
      avatar.setAttribute("aria-hidden", "true");
      avatar.textContent = initial(name);
      avatar.style.backgroundColor = colorFor(name);
      const label = document.createElement("span");
      label.className = "member-name";
      label.textContent = name;
      li.append(avatar, label);
      if (name === state.nickname) {
        li.className = "me";
        const you = document.createElement("span");
        you.className = "member-note";
        you.textContent = "you";
        li.append(you);
      } else if (r && r.typing.has(name)) {
        const typing = document.createElement("span");
        typing.className = "member-note typing-dots";
        typing.textContent = "typing…";
        li.append(typing);
      }
      return li;
    });
    el.memberList.replaceChildren(...items);
    el.memberList.dataset.stale = String(!m || m.stale);
    el.membersCount.textContent = m ? String(names.length) : "";
  }

  function renderRooms() {
    const items = [];
    const names = [...state.rooms.keys()].sort((a, b) =>
      a === DEFAULT_ROOM ? -1 : b === DEFAULT_ROOM ? 1 : a.localeCompare(b));
    for (const name of names) {
      const r = state.rooms.get(name);
      const li = document.createElement("li");
      li.dataset.room = name;
      const active = name === state.current;
      if (active) li.className = "active";

      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "room-btn";
      if (active) btn.setAttribute("aria-current", "true");
      const label = document.createElement("span");
      label.className = "room-label";
      label.textContent = `# ${name}`;
      btn.append(label);
      if (r.typing.size > 0 && !active) {
        const dots = document.createElement("span");
        dots.className = "room-typing";
        dots.title = "someone is typing";
        dots.textContent = "…";
        btn.append(dots);
      }
      if (r.unread > 0) {
        const badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = r.unread > 99 ? "99+" : String(r.unread);
        badge.title = `${r.unread} unread`;
        btn.append(badge);
      }
      btn.addEventListener("click", () => switchRoom(name));
      li.append(btn);

      if (name !== DEFAULT_ROOM) {
        const leave = document.createElement("button");
        leave.type = "button";
        leave.className = "room-leave";
        leave.title = `Leave #${name}`;
        leave.setAttribute("aria-label", `Leave #${name}`);
        leave.textContent = "×";
        leave.disabled = !state.connected;
        leave.addEventListener("click", () => requestLeave(name));
        li.append(leave);
      }
      items.push(li);
    }
    el.roomList.replaceChildren(...items);
  }

  function renderMessages() {
    const r = state.current ? state.rooms.get(state.current) : null;
    el.messages.replaceChildren(...(r ? r.entries.map(entryNode) : []));
    scrollToBottom();
  }

  function renderTyping() {
    const r = state.current ? state.rooms.get(state.current) : null;
    const names = r ? [...r.typing.keys()] : [];
    el.typing.textContent = typingText(names);
    el.typing.classList.toggle("active", names.length > 0);
    renderMembers();
  }

  function renderHeader() {
    el.roomName.textContent = state.current || "…";
    document.title = state.current ? `#${state.current} · socketio-rs chat` : "socketio-rs chat";
  }

  function updateControls() {
    const on = state.connected && state.nickname !== null;
    el.nickInput.disabled = !on;
    el.nickBtn.disabled = !on || state.pendingNickname !== null;
    el.joinInput.disabled = !on;
    el.joinBtn.disabled = !on;
    el.composerInput.disabled = !on || !state.current;
    el.sendBtn.disabled = !on || !state.current;
    el.attachBtn.disabled = !on || !state.current || state.sendingFiles > 0;
    el.leaveBtn.disabled = !on || !state.current || state.current === DEFAULT_ROOM;
    el.composerInput.placeholder = !state.connected
      ? (state.everConnected ? "Offline: reconnecting…" : "Connecting…")
      : state.current ? `Message #${state.current}` : "Join a room to chat";
    for (const b of el.roomList.querySelectorAll(".room-leave")) b.disabled = !state.connected;
  }

  function renderAll() {
    renderHeader();
    renderRooms();
    renderMessages();
    renderTyping();
    renderMembers();
    updateControls();
  }

  function switchRoom(name) {
    if (!state.rooms.has(name)) return;
    if (typingRoom !== null && typingRoom !== name) stopTyping(true);
    state.current = name;
    state.rooms.get(name).unread = 0;
    renderAll();
    el.composerInput.focus();
  }

  function isNearBottom() {
    const m = el.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 60;
  }

  function scrollToBottom() {
    el.messages.scrollTop = el.messages.scrollHeight;
  }

  // ---- forms -----------------------------------------------------------------------------------

  el.nickForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const name = el.nickInput.value.trim();
    if (!name) {
      showError(el.nickError, "Type a nickname first.");
      return;
    }
    if (name === state.nickname) {
      showError(el.nickError, null);
      el.nickInput.value = "";
      return;
    }
    requestNickname(name);
  });

  el.joinForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const name = el.joinInput.value.trim().replace(/^#+/, "").trim();
    if (!name) {
      showError(el.joinError, "Type a room name first.");
      return;
    }
    if (state.rooms.has(name)) {
      el.joinInput.value = "";
      showError(el.joinError, null);
      switchRoom(name);
      return;
    }
    requestJoin(name, { switchTo: true, rejoin: false });
  });

  el.leaveBtn.addEventListener("click", () => {
    if (state.current && state.current !== DEFAULT_ROOM) requestLeave(state.current);
  });

  el.composer.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = el.composerInput.value;
    if (text.trim() === "" || !state.current) return;
    sendMessage(text);
  });

  el.attachBtn.addEventListener("click", () => el.fileInput.click());
  el.fileInput.addEventListener("change", () => {
    for (const file of el.fileInput.files) sendFile(file);
    el.fileInput.value = "";
  });

  el.composerInput.addEventListener("input", onComposerInput);
  el.composerInput.addEventListener("blur", () => {
    // Leaving the field with an empty draft ends "typing" at once.
    if (el.composerInput.value.trim() === "") stopTyping(true);
  });

  setConnState("connecting", "connecting…");
  renderAll();
})();
