// Slack mrkdwn to safe HTML: *bold*, _italics_, ~strike~, `code`, ```blocks```, links,
// user/channel/group mentions, @here, and <!date^…> in the reader's own time zone.
// Every piece of text is HTML-escaped before any markup is added; markup only ever comes
// from this file, never from the text.
(function () {
  "use strict";

  const SLACK_ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };
  const HTML_ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const SAFE_URL = /^(https?:\/\/|mailto:)/i;

  function unescapeSlack(text) {
    return text.replace(/&(amp|lt|gt);/g, (m) => SLACK_ENTITIES[m]);
  }

  function html(text) {
    return String(text).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
  }

  // ----- dates: <!date^1760000000^{date_short_pretty} {time}|fallback>

  function sameDay(a, b) {
    return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  }

  function pretty(date, now, plain) {
    const day = 86400000;
    if (sameDay(date, now)) return "today";
    if (sameDay(date, new Date(now.getTime() - day))) return "yesterday";
    if (sameDay(date, new Date(now.getTime() + day))) return "tomorrow";
    return plain;
  }

  function ago(date, now) {
    const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
    const future = seconds < 0;
    const abs = Math.abs(seconds);
    const units = [[86400, "day"], [3600, "hour"], [60, "minute"], [1, "second"]];
    for (const [size, name] of units) {
      if (abs >= size || size === 1) {
        const n = Math.floor(abs / size);
        const text = `${n} ${name}${n === 1 ? "" : "s"}`;
        return future ? `in ${text}` : `${text} ago`;
      }
    }
    return "now";
  }

  function formatDate(seconds, format, now) {
    const date = new Date(seconds * 1000);
    const f = (options) => new Intl.DateTimeFormat(undefined, options).format(date);
    const iso = `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
    const tokens = {
      date_num: iso,
      date: f({ year: "numeric", month: "long", day: "numeric" }),
      date_short: f({ year: "numeric", month: "short", day: "numeric" }),
      date_long: f({ weekday: "long", year: "numeric", month: "long", day: "numeric" }),
      time: f({ hour: "2-digit", minute: "2-digit", hour12: false }),
      time_secs: f({ hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }),
      ago: ago(date, now),
    };
    tokens.date_pretty = pretty(date, now, tokens.date);
    tokens.date_short_pretty = pretty(date, now, tokens.date_short);
    tokens.date_long_pretty = pretty(date, now, tokens.date_long);
    return format.replace(/\{(\w+)\}/g, (m, name) => (name in tokens ? tokens[name] : m));
  }

  // ----- <…> control sequences

  function special(inner, ctx) {
    const bar = inner.indexOf("|");
    const target = bar >= 0 ? inner.slice(0, bar) : inner;
    const label = bar >= 0 ? inner.slice(bar + 1) : "";
    if (target.startsWith("@")) {
      const id = target.slice(1);
      const name = (ctx.users && ctx.users[id]) || label || id;
      return `<span class="mention" data-user="${html(id)}">@${html(unescapeSlack(name))}</span>`;
    }
    if (target.startsWith("#")) {
      const id = target.slice(1);
      const name = (ctx.channels && ctx.channels[id]) || label || id;
      return `<span class="mention mention-channel">#${html(unescapeSlack(name))}</span>`;
    }
    if (target.startsWith("!date^")) {
      const [, seconds, format] = target.split("^");
      const when = Number(seconds);
      if (!Number.isFinite(when)) return html(unescapeSlack(label));
      const title = html(new Date(when * 1000).toISOString());
      return `<time title="${title}">${html(formatDate(when, format || "{date_short} {time}", ctx.now || new Date()))}</time>`;
    }
    if (target.startsWith("!subteam^")) {
      const id = target.slice("!subteam^".length);
      const name = label || (ctx.groups && ctx.groups[id]) || id;
      return `<span class="mention broadcast">${html(unescapeSlack(name.startsWith("@") ? name : "@" + name))}</span>`;
    }
    if (target === "!here" || target === "!channel" || target === "!everyone") {
      return `<span class="mention broadcast">@${target.slice(1)}</span>`;
    }
    const url = unescapeSlack(target);
    if (SAFE_URL.test(url)) {
      const shown = label ? unescapeSlack(label) : url;
      return `<a href="${html(url)}" target="_blank" rel="noopener noreferrer">${html(shown)}</a>`;
    }
    return html(unescapeSlack(label || target));
  }

  // ----- the whole text

  function render(text, ctx) {
    const slots = [];
    const keep = (markup) => "\u0000" + (slots.push(markup) - 1) + "\u0000";
    let s = String(text == null ? "" : text);
    s = s.replace(/```([\s\S]*?)```/g, (_, code) => keep(`<pre class="code-block">${html(unescapeSlack(code.replace(/^\n/, "")))}</pre>`));
    s = s.replace(/`([^`\n]+)`/g, (_, code) => keep(`<code>${html(unescapeSlack(code))}</code>`));
    s = s.replace(/<([^<>\n]+)>/g, (_, inner) => keep(special(inner, ctx || {})));
    s = html(unescapeSlack(s));
    // Emphasis opens after a non-word character and closes before one, as in Slack, so
    // snake_case_names stay as they are and _waiting_approval_ is one italic run.
    s = s.replace(/(^|[^\w*])\*(?!\s)([^*\n]*?[^\s*])\*(?![\w*])/g, "$1<b>$2</b>");
    s = s.replace(/(^|[^\w])_(?!\s)([^\n]*?[^\s_])_(?!\w)/g, "$1<i>$2</i>");
    s = s.replace(/(^|[^\w])~(?!\s)([^~\n]*?[^\s~])~(?!\w)/g, "$1<s>$2</s>");
    s = s.replace(/\n/g, "<br>");
    return s.replace(/\u0000(\d+)\u0000/g, (_, i) => slots[Number(i)]);
  }

  window.Mrkdwn = { render, html, formatDate };
})();
