// The composers (slash commands offered as you type, plain messages, thread replies) and
// modals (Block Kit inputs, submitted in the shape Slack sends as view.state.values).
(function () {
  "use strict";

  const { page, $, call, refresh, render, parts, context } = window.Sandbox;
  const { el, renderBlocks, inputValues } = window.BlockKit;

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

  parts.push(renderModal);
})();
