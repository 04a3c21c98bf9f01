// The sandbox page: a Slack workspace for this bot. It reads the emulated workspace
// (/_sandbox/state) whenever the server says something changed (server-sent events), and
// everything a person does goes to /_sandbox/act/*, where it becomes a Slack-signed
// request to the bot. Nothing here talks to the bot directly.
//
// This file holds the page's state, its talk with the server and the messages (channel and
// thread); controls.js (the sidebar) and forms.js (composers and modals) add their parts.
(function () {
  "use strict";

  const { el, renderBlocks } = window.BlockKit;
  const $ = (id) => document.getElementById(id);

  const page = {
    ws: null,
    demo: null,
    me: localStorage.getItem("sandbox.me"),
    channel: localStorage.getItem("sandbox.channel") || "C0INCIDENTS",
    thread: null, // ts of the open thread's parent, in page.channel
    modalKey: null,
    seen: {}, // channel → top-level messages already seen
    highlighted: -1,
    tourToggled: false,
  };

  // ----- talking to the page server

  async function call(path, body, method) {
    const answer = await fetch(path, {
      method: method || "POST",
      headers: { "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await answer.text();
    let data = null;
    try { data = JSON.parse(text); } catch (e) { data = { error: text }; }
    if (!answer.ok) {
      toast((data && data.error) || `HTTP ${answer.status}`);
      throw new Error(text);
    }
    return data;
  }

  let refreshing = null;
  let again = false;
  function refresh() {
    if (refreshing) { again = true; return refreshing; }
    refreshing = Promise.all([fetch("/_sandbox/state"), fetch("/_sandbox/demo")])
      .then((answers) => Promise.all(answers.map((a) => a.json())))
      .then(([ws, demo]) => { page.ws = ws; page.demo = demo; render(); })
      .catch(() => toast("The demo is not answering; is it still running?"))
      .finally(() => {
        refreshing = null;
        if (again) { again = false; refresh(); }
      });
    return refreshing;
  }

  function listen() {
    const source = new EventSource("/_sandbox/events");
    source.addEventListener("changed", () => refresh());
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setTimeout(listen, 2000);
    };
  }

  let toastTimer = null;
  function toast(text) {
    const node = $("toast");
    node.textContent = text;
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { node.hidden = true; }, 6000);
  }

  // ----- what everything is rendered with

  function demoNow() {
    const offset = page.demo ? page.demo.clock.offset_seconds * 1000 : 0;
    return new Date(Date.now() + offset);
  }

  function context(onButton) {
    return {
      users: page.ws.users,
      channels: page.ws.channels,
      groups: { S0ONCALL: "oncall" },
      now: demoNow(),
      onButton,
    };
  }

  function personName(id) {
    if (page.demo && id === page.demo.bot_user) return "artisan-sre";
    return page.ws.users[id] || id;
  }

  function messageTime(ts) {
    const date = new Date(parseFloat(ts) * 1000);
    return new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit", hour12: false }).format(date);
  }

  function byTs(a, b) { return parseFloat(a.ts) - parseFloat(b.ts); }

  function live(channel) {
    return (page.ws.messages[channel] || []).filter((m) => !m.deleted);
  }

  function myEphemerals(channel, threadTs) {
    return page.ws.ephemerals.filter((e) =>
      !e.deleted && e.user === page.me && e.channel === channel && (e.thread_ts || null) === (threadTs || null));
  }

  // ----- messages

  function messageNode(m, options) {
    const ephemeral = options.ephemeral;
    const node = el("article", "message" + (ephemeral ? " ephemeral" : ""));
    node.dataset.ts = m.ts;
    node.dataset.channel = m.channel || "";
    const isBot = m.user === page.demo.bot_user || ephemeral;
    node.append(el("div", "avatar" + (isBot ? " bot" : ""), isBot ? "SRE" : personName(m.user).slice(0, 1)));
    const main = el("div", "message-main");
    const meta = el("div", "meta");
    meta.append(el("span", "author", ephemeral ? "artisan-sre" : personName(m.user)));
    if (isBot) meta.append(el("span", "badge", "APP"));
    meta.append(el("span", "time", messageTime(m.ts)));
    if (m.history && m.history.length) meta.append(el("span", "edited", "(edited)"));
    main.append(meta);
    if (ephemeral) main.append(el("div", "only-you", "Only visible to you"));
    const clickable = ephemeral ? null : (element, button) => click(m, element, button);
    const body = el("div", "message-body");
    if (m.blocks && m.blocks.length) {
      body.append(renderBlocks(m.blocks, context(clickable)));
    } else {
      const text = el("div", "mrkdwn");
      text.innerHTML = Mrkdwn.render(m.text, context(null));
      body.append(text);
    }
    for (const fileId of m.files || []) body.append(fileNode(fileId));
    main.append(body);
    if (m.broadcast && options.inChannel) {
      const link = el("button", "thread-link link", "replied to a thread");
      link.type = "button";
      link.addEventListener("click", () => openThread(m.thread_ts));
      main.append(link);
    }
    if (options.replies) {
      const link = el("button", "thread-link link", `${options.replies} repl${options.replies === 1 ? "y" : "ies"}`);
      link.type = "button";
      link.addEventListener("click", () => openThread(m.ts));
      main.append(link);
    }
    node.append(main);
    return node;
  }

  function fileNode(fileId) {
    const upload = page.ws.uploads.find((u) => u.file_id === fileId);
    const node = el("figure", "file");
    if (!upload) { node.textContent = "(a file)"; return node; }
    node.append(el("figcaption", null, upload.title || upload.filename));
    if (/\.png$/i.test(upload.filename)) {
      const img = el("img");
      img.src = `/_sandbox/files/${encodeURIComponent(fileId)}`;
      img.alt = upload.title || upload.filename;
      node.append(img);
    }
    return node;
  }

  async function click(message, element, button) {
    button.disabled = true;
    try {
      await call("/_sandbox/act/click", {
        user: page.me, channel: message.channel, ts: message.ts,
        action_id: element.action_id, value: element.value,
      });
    } finally {
      setTimeout(() => { button.disabled = false; }, 400);
    }
  }

  function renderList(container, items) {
    const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
    container.replaceChildren(...items);
    if (atBottom || container.dataset.stick === "1") {
      container.scrollTop = container.scrollHeight;
      container.dataset.stick = "";
    }
  }

  function renderChannel() {
    const channel = page.channel;
    $("channel-name").textContent = "# " + (page.ws.channels[channel] || channel);
    const messages = live(channel);
    // A thread reply broadcast to the channel shows there too, as in Slack.
    const top = messages.filter((m) => !m.thread_ts || m.broadcast);
    page.seen[channel] = top.length;
    const items = [
      ...top.map((m) => ({ m, inChannel: true, replies: messages.filter((r) => r.thread_ts === m.ts).length })),
      ...myEphemerals(channel, null).map((e) => ({ m: e, ephemeral: true })),
    ].sort((a, b) => byTs(a.m, b.m));
    const nodes = items.map((item) => messageNode(item.m, item));
    if (!nodes.length) nodes.push(el("p", "empty", "Nothing here yet. Type a slash command below."));
    renderList($("messages"), nodes);
  }

  function openThread(ts) {
    page.thread = ts;
    $("thread-messages").dataset.stick = "1";
    render();
  }

  function renderThread() {
    const pane = $("thread");
    const parent = page.thread && live(page.channel).find((m) => m.ts === page.thread);
    pane.hidden = !parent;
    if (!parent) { page.thread = null; return; }
    const replies = live(page.channel).filter((m) => m.thread_ts === parent.ts)
      .map((m) => ({ m }))
      .concat(myEphemerals(page.channel, parent.ts).map((e) => ({ m: e, ephemeral: true })))
      .sort((a, b) => byTs(a.m, b.m));
    const nodes = [messageNode(parent, {}), el("div", "thread-divider", `${replies.length} repl${replies.length === 1 ? "y" : "ies"}`)];
    for (const item of replies) nodes.push(messageNode(item.m, item));
    renderList($("thread-messages"), nodes);
  }

  // ----- everything

  const parts = []; // the sidebar's and the forms' renderers, run after the messages

  function render() {
    if (!page.ws || !page.demo) return;
    if (!page.demo.people.some((p) => p.id === page.me)) page.me = page.demo.people[0].id;
    renderChannel();
    renderThread();
    for (const part of parts) part();
  }

  window.Sandbox = { page, $, call, refresh, render, parts, toast, live, demoNow, context };

  window.addEventListener("load", () => {
    $("messages").dataset.stick = "1";
    refresh();
    listen();
    setInterval(refresh, 15000); // in case an event was missed
  });
})();
