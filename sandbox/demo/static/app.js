// The sandbox page: a Slack workspace for this bot. It reads the emulated workspace
// (/_sandbox/state) whenever the server says something changed (server-sent events), and
// everything a person does goes to /_sandbox/act/*, where it becomes a Slack-signed
// request to the bot. Nothing here talks to the bot directly.
(function () {
  "use strict";

  const { el, renderBlocks, inputValues } = window.BlockKit;
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
    const top = messages.filter((m) => !m.thread_ts);
    page.seen[channel] = top.length;
    const items = [
      ...top.map((m) => ({ m, replies: messages.filter((r) => r.thread_ts === m.ts).length })),
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

  // ----- sidebar

  function renderChannels() {
    const nav = $("channels");
    nav.replaceChildren(...page.demo.channels.map((c) => {
      const button = el("button", "channel" + (c.id === page.channel ? " active" : ""), "# " + c.name);
      button.type = "button";
      button.dataset.channel = c.id;
      const count = live(c.id).filter((m) => !m.thread_ts).length;
      const unread = count - (page.seen[c.id] || 0);
      if (c.id !== page.channel && unread > 0) button.append(el("span", "unread", String(unread)));
      button.addEventListener("click", () => {
        page.channel = c.id;
        page.thread = null;
        localStorage.setItem("sandbox.channel", c.id);
        $("messages").dataset.stick = "1";
        render();
      });
      return button;
    }));
  }

  function renderPeople() {
    const select = $("person");
    const people = page.demo.people;
    if (!people.some((p) => p.id === page.me)) page.me = people[0].id;
    if (select.options.length !== people.length) {
      select.replaceChildren(...people.map((p) => {
        const option = el("option", null, p.name);
        option.value = p.id;
        return option;
      }));
    }
    select.value = page.me;
    const me = people.find((p) => p.id === page.me);
    $("person-roles").textContent = me.roles.join(" · ");
  }

  function renderClock() {
    if (!page.demo) return;
    const now = demoNow();
    const zone = page.demo.clock.timezone;
    const local = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    const there = new Intl.DateTimeFormat(undefined, { timeZone: zone, weekday: "short", hour: "2-digit", minute: "2-digit", hour12: false });
    $("clock-now").textContent = local.format(now);
    const ahead = Math.round(page.demo.clock.offset_seconds);
    const parts = [];
    if (ahead >= 86400) parts.push(`${Math.floor(ahead / 86400)}d`);
    if (ahead % 86400 >= 3600) parts.push(`${Math.floor((ahead % 86400) / 3600)}h`);
    if (ahead % 3600 >= 60) parts.push(`${Math.floor((ahead % 3600) / 60)}m`);
    $("clock-offset").textContent = `${there.format(now)} in ${zone} · ` +
      (parts.length ? `${parts.join(" ")} ahead of this machine` : "the machine's time");
  }

  function renderSkips() {
    const box = $("skips");
    box.replaceChildren(...page.demo.clock.skips.map((s) => {
      const button = el("button", "control", s.label);
      button.type = "button";
      button.dataset.skip = s.skip;
      button.addEventListener("click", () => busy(box, () => call("/_sandbox/time", { skip: s.skip })));
      return button;
    }));
  }

  function renderFaults() {
    const box = $("faults");
    const offered = page.demo.faults.offered.map((f) => {
      const button = el("button", "control fault", f.label);
      button.type = "button";
      button.dataset.fault = f.key;
      button.title = f.what_happens;
      button.addEventListener("click", async () => {
        await busy(box, () => call("/_sandbox/faults", { fault: f.key }));
        toast(f.what_happens);
      });
      return button;
    });
    const clear = el("button", "control", "Clear faults");
    clear.type = "button";
    clear.dataset.fault = "clear";
    clear.addEventListener("click", () => busy(box, () => call("/_sandbox/faults", null, "DELETE")));
    box.replaceChildren(...offered, clear);
    const active = page.demo.faults.active || {};
    const on = [];
    if (active.error) on.push(active.error);
    for (const model of active.model_down || []) on.push(`${model} down`);
    if (active.reward_runaway) on.push("reward running away");
    for (const [mode, seconds] of Object.entries(active.added_latency_seconds || {})) on.push(`${mode} +${seconds}s`);
    $("faults-active").textContent = on.length ? "Active: " + on.join(", ") : "No fault injected.";
  }

  function renderPrometheus() {
    const p = page.demo.prometheus;
    $("prometheus").textContent = p.url
      ? `Scraping the stand-in every 5 s (${p.url}): SLOs use real data.`
      : p.how_to_get;
  }

  function renderTour() {
    const list = $("tour");
    if (!list.children.length) list.replaceChildren(...page.demo.tour.map((step) => el("li", null, step)));
    // Shown until the first message, unless the Tour button said otherwise.
    if (!page.tourToggled) list.hidden = Object.values(page.ws.messages).some((ms) => ms.length);
  }

  async function busy(box, work) {
    for (const b of box.querySelectorAll("button")) b.disabled = true;
    try { await work(); } catch (e) { /* toast already shown */ } finally {
      for (const b of box.querySelectorAll("button")) b.disabled = false;
      refresh();
    }
  }

  // ----- modals

  function renderModal() {
    const views = page.ws.views.filter((v) => !v.closed && v.user === page.me);
    const view = views[views.length - 1];
    const modal = $("modal");
    if (!view) { modal.hidden = true; page.modalKey = null; return; }
    const key = `${view.id}:${view.payload.hash}`;
    if (key !== page.modalKey) {
      page.modalKey = key;
      page.modalErrors = null;
      const p = view.payload;
      $("modal-title").textContent = p.title ? p.title.text : "";
      $("modal-submit").textContent = p.submit ? p.submit.text : "Submit";
      $("modal-submit").hidden = !p.submit;
      $("modal-close").textContent = p.close ? p.close.text : "Cancel";
      const body = $("modal-body");
      body.replaceChildren(renderBlocks(p.blocks, context(null)));
      modal.dataset.viewId = view.id;
      modal.hidden = false;
      const first = body.querySelector("input, textarea, select");
      if (first) first.focus();
    }
    const errors = JSON.stringify(view.errors || {});
    if (errors === page.modalErrors) return; // keep what the person typed and was told
    page.modalErrors = errors;
    for (const block of $("modal-body").querySelectorAll(".bk-input-block")) {
      const error = (view.errors || {})[block.dataset.blockId] || "";
      block.querySelector(".bk-error").textContent = error;
      block.classList.toggle("has-error", Boolean(error));
    }
  }

  $("modal-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const viewId = $("modal").dataset.viewId;
    // Like Slack's client: a required input left empty never reaches the app.
    let missing = false;
    for (const block of $("modal-body").querySelectorAll(".bk-input-block")) {
      const field = block.querySelector("[data-action-id]");
      if (block.dataset.optional !== "1" && field && !field.value.trim()) {
        block.querySelector(".bk-error").textContent = "Please complete this required field.";
        block.classList.add("has-error");
        missing = true;
      }
    }
    if (missing) return;
    await call("/_sandbox/act/submit", { user: page.me, view_id: viewId, values: inputValues($("modal-body")) });
    refresh();
  });
  $("modal-close").addEventListener("click", async () => {
    await call("/_sandbox/act/close", { view_id: $("modal").dataset.viewId });
    refresh();
  });

  // ----- composers and suggestions

  function matches(text) {
    if (!text.startsWith("/") || !page.demo) return [];
    return page.demo.suggestions.filter((s) => s.text.startsWith(text) && s.text !== text).slice(0, 8);
  }

  function renderSuggestions() {
    const list = $("suggestions");
    const found = matches($("composer").value);
    list.hidden = !found.length;
    if (page.highlighted >= found.length) page.highlighted = -1;
    list.replaceChildren(...found.map((s, i) => {
      const item = el("li", "suggestion" + (i === page.highlighted ? " highlighted" : ""));
      item.append(el("span", "suggestion-text", s.text), el("span", "suggestion-hint", s.hint));
      item.addEventListener("mousedown", (event) => { event.preventDefault(); take(s); });
      return item;
    }));
  }

  function take(suggestion) {
    $("composer").value = suggestion.text;
    page.highlighted = -1;
    renderSuggestions();
    $("composer").focus();
  }

  $("composer").addEventListener("input", () => { page.highlighted = -1; renderSuggestions(); });
  $("composer").addEventListener("keydown", (event) => {
    const found = matches($("composer").value);
    if (event.key === "ArrowDown" && found.length) {
      page.highlighted = (page.highlighted + 1) % found.length;
    } else if (event.key === "ArrowUp" && found.length) {
      page.highlighted = (page.highlighted + found.length - 1) % found.length;
    } else if ((event.key === "Tab" || (event.key === "Enter" && page.highlighted >= 0)) && found.length) {
      take(found[Math.max(page.highlighted, 0)]);
    } else if (event.key === "Escape") {
      page.highlighted = -1;
      $("suggestions").hidden = true;
      return;
    } else {
      return;
    }
    event.preventDefault();
    renderSuggestions();
  });

  async function send(input, threadTs) {
    const line = input.value.trim();
    if (!line) return;
    input.disabled = true;
    try {
      await call("/_sandbox/act/line", { user: page.me, channel: page.channel, line, thread_ts: threadTs || null });
      input.value = "";
      renderSuggestions();
    } catch (e) { /* toast shown; keep the text to fix it */ } finally {
      input.disabled = false;
      input.focus();
      refresh();
    }
  }

  $("composer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    $("messages").dataset.stick = "1";
    send($("composer"), null);
  });
  $("thread-form").addEventListener("submit", (event) => {
    event.preventDefault();
    $("thread-messages").dataset.stick = "1";
    send($("thread-composer"), page.thread);
  });
  $("thread-close").addEventListener("click", () => { page.thread = null; render(); });
  $("person").addEventListener("change", () => {
    page.me = $("person").value;
    localStorage.setItem("sandbox.me", page.me);
    page.modalKey = null;
    render();
  });
  $("tour-toggle").addEventListener("click", () => {
    page.tourToggled = true;
    $("tour").hidden = !$("tour").hidden;
  });

  // ----- everything

  function render() {
    if (!page.ws || !page.demo) return;
    renderPeople();
    renderChannel();
    renderChannels();
    renderThread();
    renderClock();
    renderSkips();
    renderFaults();
    renderPrometheus();
    renderTour();
    renderModal();
  }

  $("messages").dataset.stick = "1";
  refresh();
  listen();
  setInterval(renderClock, 1000);
  setInterval(refresh, 15000); // in case an event was missed
})();
