// The sidebar: channels, who you are, the bot's clock and its skips, the stand-in's faults,
// Prometheus, and the tour. Every button here goes to the page server, never to the bot.
(function () {
  "use strict";

  const { page, $, call, refresh, render, parts, toast, live, demoNow } = window.Sandbox;
  const { el } = window.BlockKit;

  function renderChannels() {
    const nav = $("channels");
    nav.replaceChildren(...page.demo.channels.map((c) => {
      const button = el("button", "channel" + (c.id === page.channel ? " active" : ""), "# " + c.name);
      button.type = "button";
      button.dataset.channel = c.id;
      const count = live(c.id).filter((m) => !m.thread_ts || m.broadcast).length;
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
    const ahead = page.demo.clock.offset_seconds > 0
      ? " The bot's clock is ahead of this machine's, and Prometheus has data only up to " +
        "this machine's time: SLO answers are read there, and say so."
      : "";
    $("prometheus").textContent = p.url
      ? `Scraping the stand-in every 5 s (${p.url}): SLOs use real data.${ahead}`
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

  parts.push(renderChannels, renderPeople, renderClock, renderSkips, renderFaults, renderPrometheus, renderTour);
  setInterval(renderClock, 1000);
})();
