// The dashboard's live view: the page listens to its tenant's events (Server-Sent Events from
// the event log) and puts each change in place. The HTML it inserts was rendered and escaped
// by the server; nothing here builds markup from the text of a message.
"use strict";

(function () {
  const body = document.body;
  const liveUrl = body.dataset.live;
  const state = document.getElementById("live-state");
  if (!liveUrl || !window.EventSource) {
    if (state) state.textContent = "Live updates: unavailable in this browser.";
    return;
  }
  const tenant = body.dataset.tenant;
  const tables = document.querySelectorAll("table.live-table");
  const feed = document.getElementById("events");
  const timeline = document.getElementById("timeline");

  function say(text) {
    if (state) state.textContent = text;
  }

  // A row of a messages or calls table, fetched as the server renders it, replacing the old
  // one or going on top of the first page (a filtered list is left as it is: the row may not
  // belong in it).
  async function refreshRow(kind, sid) {
    for (const table of tables) {
      if (table.dataset.kind !== kind) continue;
      const old = table.querySelector(`tr[data-sid="${CSS.escape(sid)}"]`);
      const fresh = !old && table.dataset.filtered !== "yes" && table.dataset.firstPage !== "no";
      if (!old && !fresh) continue;
      const response = await fetch(`/ui/${kind}/${encodeURIComponent(sid)}/row?tenant=${encodeURIComponent(tenant)}`);
      if (!response.ok) continue;
      const template = document.createElement("template");
      template.innerHTML = (await response.text()).trim();
      const row = template.content.firstElementChild;
      if (!row) continue;
      row.classList.add("changed");
      const current = table.querySelector(`tr[data-sid="${CSS.escape(sid)}"]`);
      if (current) current.replaceWith(row);
      else table.tBodies[0].prepend(row);
      for (const empty of document.querySelectorAll(`[data-empty-for="${kind}"]`)) empty.remove();
    }
  }

  function addLine(list, html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const line = template.content.firstElementChild;
    if (!line) return;
    line.classList.add("changed");
    if (list === feed) list.prepend(line);
    else list.append(line);
    const empty = document.getElementById("events-empty");
    if (empty) empty.remove();
  }

  // Parts of a page that are drawn again, whole, when something they show changes: a call's
  // transcript and controls (`data-sid`: when an event is about that call), a conversation's
  // bubbles (`data-messages`: when any message changes). The server renders them; a part
  // holding the keyboard focus waits for the next change, so typing is never swept away.
  const parts = document.querySelectorAll("[data-refresh]");
  const pending = new Map();

  function redraw(part) {
    if (pending.has(part)) return;
    pending.set(part, setTimeout(async () => {
      pending.delete(part);
      if (part.contains(document.activeElement) && document.activeElement.matches("input, select")) return;
      const response = await fetch(part.dataset.refresh);
      if (!response.ok) return;
      const fetched = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = (part.id && fetched.getElementById(part.id)) || fetched.body;
      part.replaceChildren(...fresh.childNodes);
    }, 50));
  }

  function redrawParts(event) {
    for (const part of parts) {
      const about = part.dataset.sid && part.dataset.sid === event.sid;
      const messages = part.dataset.messages === "yes" &&
        (event.kind.startsWith("message_") || event.kind === "inbound_delivered");
      if (about || messages) redraw(part);
    }
  }

  const source = new EventSource(liveUrl);
  source.addEventListener("open", () => say("Live updates: on."));
  source.addEventListener("error", () => say("Live updates: reconnecting…"));
  source.addEventListener("change", (message) => {
    const event = JSON.parse(message.data);
    if (feed) addLine(feed, event.html);
    if (timeline && event.sid && timeline.dataset.sid === event.sid) addLine(timeline, event.html);
    if (!event.sid) return;
    redrawParts(event);
    if (event.kind.startsWith("message_") || event.kind === "inbound_delivered") {
      refreshRow("messages", event.sid).catch(() => {});
    } else if (event.kind.startsWith("call_") && event.kind !== "call_deleted") {
      refreshRow("calls", event.sid).catch(() => {});
    }
  });
})();
