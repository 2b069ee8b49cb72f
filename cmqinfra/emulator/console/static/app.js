// The console's pages. Plain DOM, no framework, no build: every value from the emulator is put in
// with textContent (never as HTML), so a message body or a name cannot become markup.
"use strict";

const state = { csrf: null, timer: null };
const page = () => document.getElementById("page");

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "on") for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (v !== null && v !== undefined) node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c === null || c === undefined ? "" : String(c)));
  return node;
}

async function api(path, body) {
  const options = { credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    if (state.csrf) options.headers["X-CMQInfra-CSRF"] = state.csrf;
    options.body = JSON.stringify(body);
  }
  const response = await fetch("api/" + path, options);
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && path !== "login") { showLogin(); throw new Error(data.error || "log in"); }
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function showLogin() {
  stopRefresh();
  document.getElementById("login").hidden = false;
  document.getElementById("nav").hidden = true;
  page().replaceChildren();
}

function every(ms, fn) {
  stopRefresh();
  fn();
  state.timer = setInterval(fn, ms);
}
function stopRefresh() { if (state.timer) clearInterval(state.timer); state.timer = null; }

function table(headers, rows, id) {
  return el("table", { id }, el("thead", {}, el("tr", {}, ...headers.map(h => el("th", {}, h)))),
    el("tbody", {}, ...rows));
}
const num = (v, attrs) => el("td", Object.assign({ class: "num" }, attrs || {}), v === null || v === undefined ? "-" : v);
const link = (href, text) => el("a", { href }, text);
const qhref = name => "#/queue/" + encodeURIComponent(name);
const thref = name => "#/topic/" + encodeURIComponent(name);

// ---------------------------------------------------------------- topology (refreshes itself)
function overviewPage() {
  const img = el("img", { id: "topology-image", alt: "topology" });
  const updated = el("p", { class: "muted", id: "updated" });
  const queues = el("div", { id: "queues" });
  const topics = el("div", { id: "topics" });
  page().replaceChildren(el("h1", {}, "Topology"), el("div", { class: "card topology" }, img), updated,
    el("h2", {}, "Queues"), queues, el("h2", {}, "Topics"), topics);
  every(2000, async () => {
    const data = await api("overview");
    img.src = "api/topology.svg?at=" + Date.now();
    queues.replaceChildren(table(["queue", "active", "in flight", "delayed", "dead letter", "dead-lettered"],
      data.queues.map(q => el("tr", { "data-queue": q.name },
        el("td", {}, link(qhref(q.name), q.name)), num(q.active, { "data-count": "active" }),
        num(q.inFlight, { "data-count": "inFlight" }), num(q.delayed, { "data-count": "delayed" }),
        el("td", {}, q.deadLetterQueue ? link(qhref(q.deadLetterQueue), q.deadLetterQueue) : "-"),
        num(q.deadLettered, { "data-count": "deadLettered" }))), "queue-table"));
    topics.replaceChildren(table(["topic", "filter", "subscriptions"], data.topics.map(t => el("tr", {},
      el("td", {}, link(thref(t.name), t.name)), el("td", {}, t.filterType),
      el("td", {}, t.subscriptions.map(s => `${s.name} → ${s.protocol} ${s.endpoint}`).join("; ") || "-"))),
      "topic-table"));
    updated.textContent = "updated " + new Date().toLocaleTimeString();
  });
}

// ---------------------------------------------------------------- a queue
function queuePage(name) {
  const attrs = el("div", { id: "attributes" });
  const browser = el("div", { id: "messages" });
  const status = el("p", { id: "status", role: "status" });
  const bodyInput = el("textarea", { id: "send-body", name: "body" });
  const delayInput = el("input", { id: "send-delay", type: "number", min: "0", value: "0" });
  const sendForm = el("form", { id: "send-form", on: { submit: async ev => {
    ev.preventDefault();
    await act(status, () => api("send", { queue: name, body: bodyInput.value, delaySeconds: Number(delayInput.value || 0) }),
      r => `sent ${r.msgId}`);
    bodyInput.value = "";
  } } }, el("label", {}, "Body ", bodyInput), el("label", {}, "Delay (seconds) ", delayInput),
    el("button", { type: "submit", id: "send" }, "Send a test message"));
  const purge = el("button", { type: "button", class: "danger", id: "purge" }, "Purge");
  purge.addEventListener("click", async () => {
    if (purge.dataset.armed !== "yes") { purge.dataset.armed = "yes"; purge.textContent = "Confirm purge: every message is lost"; return; }
    purge.dataset.armed = ""; purge.textContent = "Purge";
    await act(status, () => api("purge", { queue: name }), r => `purged ${r.purged} message(s)`);
  });
  const redrive = el("button", { type: "button", id: "redrive", hidden: "" }, "Redrive to source queue");
  redrive.addEventListener("click", () => act(status, () => api("redrive", { queue: name }), r => `redrove ${r.movedTotal} message(s)` + (r.inFlight ? `; ${r.inFlight} in flight left to their consumer` : "") + (r.noSource ? `; ${r.noSource} without a source queue kept` : "")));
  page().replaceChildren(el("p", {}, link("#/", "← topology")), el("h1", {}, "Queue ", el("span", { id: "queue-name" }, name)),
    status, el("div", { class: "card" }, attrs), el("h2", {}, "Messages (peeked: nothing is received or consumed)"),
    el("div", { class: "card" }, browser), el("h2", {}, "Actions"),
    el("div", { class: "card" }, sendForm, el("p", {}, purge, redrive)));
  every(2000, async () => {
    const q = await api("queue?name=" + encodeURIComponent(name));
    const rows = Object.entries(q).map(([k, v]) => el("tr", { "data-attribute": k }, el("th", {}, k),
      el("td", {}, v === null ? "-" : typeof v === "object" ? JSON.stringify(v) : v)));
    attrs.replaceChildren(table(["attribute", "value"], rows, "attribute-table"));
    redrive.hidden = !(q.DeadLetterSource && q.DeadLetterSource.length);
    const m = await api("messages?name=" + encodeURIComponent(name) + "&limit=50");
    browser.replaceChildren(m.messages.length ? table(["message id", "state", "body", "enqueued", "received", "from"],
      m.messages.map(x => el("tr", { "data-msg": x.msgId }, el("td", {}, x.msgId), el("td", { "data-state": x.state }, x.state),
        el("td", {}, el("pre", { class: "body" }, x.body)),
        el("td", {}, x.enqueueTime ? new Date(x.enqueueTime * 1000).toISOString() : "-"), num(x.dequeueCount),
        el("td", {}, x.deadLetterSource || x.routingKey || (x.tags || []).join(", ") || "-"))),
      "message-table") : el("p", { id: "no-messages" }, "No messages."));
  });
}

async function act(status, call, say) {
  try { const r = await call(); status.className = "ok"; status.textContent = say(r); }
  catch (e) { status.className = "error"; status.textContent = e.message; }
}

// ---------------------------------------------------------------- a topic: route a test message
function topicPage(name) {
  stopRefresh();
  const status = el("p", { id: "status", role: "status" });
  const subs = el("div", { id: "subscriptions" });
  const keyInput = el("input", { id: "routing-key", name: "routingKey", placeholder: "order.eu.created" });
  const tagsInput = el("input", { id: "tags", name: "tags", placeholder: "tag1, tag2" });
  const bodyInput = el("input", { id: "publish-body", value: "test message" });
  const result = el("div", { id: "route-result" });
  const run = async publish => {
    const tags = tagsInput.value.split(",").map(s => s.trim()).filter(Boolean);
    const body = { topic: name, tags, publish, body: bodyInput.value };
    if (keyInput.value || !tags.length && filterType === "routingKey") body.routingKey = keyInput.value;
    try {
      const r = await api("route", body);
      status.className = "ok";
      status.textContent = r.published
        ? `published ${r.published.msgId}: delivered to ${r.published.queues.length} queue(s)` +
          (r.published.pushes.length ? `, ${r.published.pushes.length} http push(es) queued` : "")
        : "explained (nothing was published)";
      result.replaceChildren(table(["subscription", "endpoint", "receives", "why"], r.subscriptions.map(v =>
        el("tr", { "data-subscription": v.name }, el("td", {}, v.name), el("td", {}, `${v.protocol} ${v.endpoint}`),
          el("td", { class: v.receives ? "receives" : "skipped" }, v.receives ? "yes" : "no"), el("td", {}, v.reason))),
        "route-table"));
    } catch (e) { status.className = "error"; status.textContent = e.message; }
  };
  let filterType = "tag";
  page().replaceChildren(el("p", {}, link("#/", "← topology")), el("h1", {}, "Topic ", el("span", { id: "topic-name" }, name)),
    el("div", { class: "card" }, subs), el("h2", {}, "Route a test message"),
    el("div", { class: "card" }, el("label", {}, "Routing key ", keyInput), el("label", {}, "Tags ", tagsInput),
      el("label", {}, "Body ", bodyInput),
      el("button", { type: "button", id: "explain", on: { click: () => run(false) } }, "Explain"),
      el("button", { type: "button", id: "publish", on: { click: () => run(true) } }, "Publish it"),
      status, result));
  api("overview").then(data => {
    const t = data.topics.find(x => x.name.toLowerCase() === name.toLowerCase());
    if (!t) { subs.textContent = "No such topic."; return; }
    filterType = t.filterType;
    subs.replaceChildren(el("p", {}, "filter: " + t.filterType), table(["subscription", "endpoint", "filter"],
      t.subscriptions.map(s => el("tr", {}, el("td", {}, s.name),
        el("td", {}, s.protocol === "queue" ? link(qhref(s.endpoint), s.endpoint) : s.endpoint),
        el("td", {}, (t.filterType === "routingKey" ? s.bindingKeys : s.filterTags).join(", ") || "every message")))));
  });
}

// ---------------------------------------------------------------- the HTTP push log
function pushPage() {
  const log = el("div", { id: "push-log" });
  page().replaceChildren(el("h1", {}, "HTTP push log"), log);
  every(2000, async () => {
    const data = await api("push-log");
    log.replaceChildren(data.attempts.length ? table(["time", "topic", "subscription", "endpoint", "attempt", "answer", "next try", "body"],
      data.attempts.map(a => el("tr", {}, el("td", {}, new Date(a.at * 1000).toISOString()), el("td", {}, a.topic),
        el("td", {}, a.subscription), el("td", {}, a.endpoint), num(a.attempt),
        el("td", { class: a.delivered ? "ok" : "error" }, a.status === null ? "no answer" : "HTTP " + a.status),
        el("td", {}, a.nextRetry ? new Date(a.nextRetry * 1000).toISOString() : a.delivered ? "-" : "gave up"),
        el("td", {}, el("pre", { class: "body" }, a.body)))), "push-table") : el("p", {}, "No HTTP pushes yet."));
  });
}

function route() {
  const hash = decodeURIComponent(location.hash.slice(1) || "/");
  if (hash.startsWith("/queue/")) return queuePage(hash.slice(7));
  if (hash.startsWith("/topic/")) return topicPage(hash.slice(7));
  if (hash === "/pushes") return pushPage();
  return overviewPage();
}

function loggedIn(csrf) {
  state.csrf = csrf;
  document.getElementById("login").hidden = true;
  document.getElementById("nav").hidden = false;
  route();
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("login-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    try {
      const r = await api("login", { secretId: form.get("secretId"), secretKey: form.get("secretKey") });
      document.getElementById("login-error").textContent = "";
      loggedIn(r.csrf);
    } catch (e) { document.getElementById("login-error").textContent = e.message; }
  });
  document.getElementById("logout").addEventListener("click", async () => {
    await api("logout", {}).catch(() => null);
    state.csrf = null;
    showLogin();
  });
  window.addEventListener("hashchange", () => { if (state.csrf) route(); });
  api("session").then(r => loggedIn(r.csrf)).catch(() => showLogin());
});
