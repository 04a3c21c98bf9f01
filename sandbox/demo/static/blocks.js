// Block Kit to DOM, for messages and modals, as Slack lays them out. Text goes in through
// textContent or Mrkdwn.render (which escapes first); nothing from a message is ever used
// as markup. A block or element this file does not know is shown as such (.bk-unknown), and
// BlockKit.KNOWN lists what it knows, so the tests can hold the bot's builders against it.
(function () {
  "use strict";

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function unknown(kind, type) {
    const node = el("div", "bk-unknown", `Unsupported ${kind}: ${type}`);
    node.dataset.type = String(type);
    return node;
  }

  // ----- text objects

  function textObject(obj, ctx, className) {
    const node = el("span", className || "bk-text");
    if (!obj) return node;
    if (obj.type === "mrkdwn") {
      node.classList.add("mrkdwn");
      node.innerHTML = Mrkdwn.render(obj.text, ctx);
    } else if (obj.type === "plain_text") {
      node.textContent = obj.text;
    } else {
      return unknown("text object", obj.type);
    }
    return node;
  }

  // ----- elements

  const ELEMENTS = {
    mrkdwn: (e, ctx) => textObject(e, ctx),
    plain_text: (e, ctx) => textObject(e, ctx),
    button(e, ctx) {
      const node = el("button", "bk-button");
      node.type = "button";
      node.textContent = e.text ? e.text.text : "";
      if (e.style === "primary" || e.style === "danger") node.classList.add(e.style);
      node.dataset.actionId = e.action_id || "";
      if (e.value != null) node.dataset.value = e.value;
      if (e.url) node.title = e.url;
      if (ctx.onButton) {
        node.addEventListener("click", () => ctx.onButton(e, node));
      } else {
        node.disabled = true;
        node.title = "Buttons in this message cannot be clicked here";
      }
      return node;
    },
    image(e) {
      const node = el("img", "bk-image-element");
      node.src = e.image_url || "";
      node.alt = e.alt_text || "";
      return node;
    },
    static_select(e, ctx) {
      const node = el("select", "bk-select");
      node.dataset.actionId = e.action_id || "";
      const blank = el("option", null, e.placeholder ? e.placeholder.text : "Choose…");
      blank.value = "";
      node.append(blank);
      for (const option of e.options || []) {
        const item = el("option", null, option.text ? option.text.text : option.value);
        item.value = option.value;
        node.append(item);
      }
      if (e.initial_option) node.value = e.initial_option.value;
      if (ctx.onSelect) node.addEventListener("change", () => ctx.onSelect(e, node));
      return node;
    },
    plain_text_input(e) {
      const node = el(e.multiline ? "textarea" : "input", "bk-input");
      if (!e.multiline) node.type = "text";
      node.dataset.actionId = e.action_id || "";
      if (e.max_length) node.maxLength = e.max_length;
      if (e.initial_value) node.value = e.initial_value;
      if (e.placeholder) node.placeholder = e.placeholder.text;
      return node;
    },
  };

  function element(e, ctx) {
    const render = e && ELEMENTS[e.type];
    return render ? render(e, ctx) : unknown("element", e && e.type);
  }

  // ----- blocks

  const BLOCKS = {
    header(b, ctx) {
      const node = el("div", "bk-header");
      node.append(textObject(b.text, ctx));
      return node;
    },
    section(b, ctx) {
      const node = el("div", "bk-section");
      const body = el("div", "bk-section-body");
      if (b.text) body.append(textObject(b.text, ctx));
      if (b.fields && b.fields.length) {
        const fields = el("div", "bk-fields");
        for (const field of b.fields) fields.append(textObject(field, ctx, "bk-field"));
        body.append(fields);
      }
      node.append(body);
      if (b.accessory) {
        const accessory = el("div", "bk-accessory");
        accessory.append(element(b.accessory, ctx));
        node.append(accessory);
      }
      return node;
    },
    context(b, ctx) {
      const node = el("div", "bk-context");
      for (const e of b.elements || []) node.append(element(e, ctx));
      return node;
    },
    divider() {
      return el("hr", "bk-divider");
    },
    actions(b, ctx) {
      const node = el("div", "bk-actions");
      for (const e of b.elements || []) node.append(element(e, ctx));
      return node;
    },
    image(b, ctx) {
      const node = el("figure", "bk-image");
      if (b.title) node.append(textObject(b.title, ctx, "bk-image-title"));
      const img = el("img");
      img.src = b.image_url || "";
      img.alt = b.alt_text || "";
      node.append(img);
      return node;
    },
    input(b, ctx) {
      const node = el("label", "bk-input-block");
      node.dataset.blockId = b.block_id || "";
      if (b.optional) node.dataset.optional = "1";
      const label = el("span", "bk-label", b.label ? b.label.text : "");
      if (b.optional) label.append(el("span", "bk-optional", " (optional)"));
      node.append(label, element(b.element || {}, ctx));
      if (b.hint) node.append(textObject(b.hint, ctx, "bk-hint"));
      node.append(el("span", "bk-error"));
      return node;
    },
  };

  function renderBlocks(blocks, ctx) {
    const node = el("div", "bk");
    for (const block of blocks || []) {
      const render = block && BLOCKS[block.type];
      const rendered = render ? render(block, ctx || {}) : unknown("block", block && block.type);
      if (block && block.block_id) rendered.dataset.blockId = block.block_id;
      node.append(rendered);
    }
    return node;
  }

  // What a modal's inputs hold, in the shape Slack sends in view.state.values.
  function inputValues(container) {
    const values = {};
    for (const block of container.querySelectorAll(".bk-input-block")) {
      const field = block.querySelector("[data-action-id]");
      if (!field) continue;
      const actionId = field.dataset.actionId;
      let state;
      if (field.tagName === "SELECT") {
        const option = field.selectedOptions[0];
        state = { type: "static_select", selected_option: field.value ? { text: { type: "plain_text", text: option.textContent }, value: field.value } : null };
      } else {
        state = { type: "plain_text_input", value: field.value === "" ? null : field.value };
      }
      values[block.dataset.blockId] = { [actionId]: state };
    }
    return values;
  }

  window.BlockKit = {
    renderBlocks,
    inputValues,
    el,
    KNOWN: { blocks: Object.keys(BLOCKS), elements: Object.keys(ELEMENTS) },
  };
})();
