// vmha's web console: the cluster at a glance, polled every POLL_MS, with drain, resume, move,
// start and stop for logins that may act (docs/web.md). No framework; the server checks every
// write again (role, CSRF token), the buttons only spare a read-only user the 403.
"use strict";

// The pause between the end of one status poll and the next: a change shows within this plus
// one answer.
const POLL_MS = 300;
let session = null;
let plan = null; // the drain plan shown, {node, doc}
let lastStatusText = null;

const $ = (sel) => document.querySelector(sel);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

async function apiText(path) {
  const r = await fetch(path, { credentials: "same-origin" });
  return { status: r.status, text: await r.text() };
}

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (method === "POST") {
    opts.headers["Content-Type"] = "application/json";
    if (session) opts.headers["X-CSRF-Token"] = session.csrf_token;
    opts.body = JSON.stringify(body || {});
  }
  const r = await fetch(path, opts);
  let doc = null;
  try { doc = await r.json(); } catch (e) { doc = { error: "not JSON (" + r.status + ")" }; }
  return { status: r.status, doc };
}

function message(text, isError) {
  const m = $("#message");
  m.textContent = text || "";
  m.className = "message" + (isError ? " error" : "");
}

function isAdmin() { return session && session.role === "admin"; }

function button(label, onClick) {
  const b = el("button", label, "admin");
  b.addEventListener("click", onClick);
  return b;
}

async function act(what, method, path, body) {
  lastStatusText = null;
  if (!window.confirm(what + "?")) return;
  message(what + " …");
  const r = await api(method, path, body);
  if (r.status === 200) message(what + ": " + (r.doc.result || "done"));
  else message(what + ": " + (r.doc.error || r.status), true);
  poll();
}

async function showPlan(node) {
  const r = await api("GET", "/api/nodes/" + encodeURIComponent(node) + "/drain-plan");
  if (r.status !== 200) { message("drain plan of " + node + ": " + r.doc.error, true); return; }
  plan = { node, doc: r.doc };
  $("#plan-title").textContent = "Drain plan for " + node + " (nothing has moved yet)";
  const tb = $("#plan tbody");
  tb.replaceChildren();
  for (const m of r.doc.moves) {
    const tr = el("tr");
    tr.append(el("td", m.vm), el("td", m.priority), el("td", m.memory_mib + " MiB"),
      el("td", m.target || "cannot move: " + m.why), el("td", m.method || "-"),
      el("td", m.pause_s === null ? "-" : m.pause_s.toFixed(1) + " s"));
    tb.append(tr);
  }
  $("#plan-note").textContent = r.doc.moves.length + " VM(s), " + r.doc.unplaced +
    " without a place" + (r.doc.unplaced ? ": the drain is refused unless forced" : "");
  $("#plan").hidden = false;
}

function renderNodes(status) {
  const tb = $("#nodes tbody");
  const count = {};
  for (const vm of status.vms || []) for (const n of vm.nodes || []) count[n] = (count[n] || 0) + 1;
  tb.replaceChildren();
  for (const n of status.nodes || []) {
    const state = n.state || (n.online ? "online" : "offline");
    const tr = el("tr", null, state);
    tr.dataset.node = n.name;
    const role = [n.leader ? "leader" : "", n.local ? "local" : ""].filter(Boolean).join(", ");
    tr.append(el("td", n.name), el("td", state, "state"), el("td", role || "-"),
      el("td", count[n.name] || 0));
    const td = el("td", null, "actions");
    if (isAdmin()) {
      if (state === "online") td.append(button("Drain", () => showPlan(n.name)));
      if (n.drain || n.standby) {
        td.append(button("Resume", () => act("Resume " + n.name, "POST",
          "/api/nodes/" + encodeURIComponent(n.name) + "/resume", { failback: false })));
        td.append(button("Resume with failback", () => act("Resume " + n.name + " with failback",
          "POST", "/api/nodes/" + encodeURIComponent(n.name) + "/resume", { failback: true })));
      }
    }
    tr.append(td);
    tb.append(tr);
  }
}

function renderVms(status) {
  const tb = $("#vms tbody");
  const nodes = (status.nodes || []).map((n) => n.name);
  tb.replaceChildren();
  for (const vm of status.vms || []) {
    const tr = el("tr", null, vm.state);
    tr.dataset.vm = vm.name;
    const on = (vm.nodes || []).join(",") || "-";
    tr.append(el("td", vm.name), el("td", vm.state, "state"), el("td", on, "node"),
      el("td", vm.priority), el("td", vm.why || "-"));
    const td = el("td", null, "actions");
    if (isAdmin()) {
      const path = "/api/vms/" + encodeURIComponent(vm.name);
      if (vm.state === "running") {
        const sel = el("select");
        sel.append(el("option", "anywhere"));
        for (const n of nodes) if (n !== on) sel.append(el("option", n));
        td.append(sel, button("Move", () => act("Move " + vm.name + " to " + sel.value, "POST",
          path + "/move", sel.value === "anywhere" ? {} : { to: sel.value })));
        td.append(button("Stop", () => act("Stop " + vm.name, "POST", path + "/stop")));
      } else if (vm.state === "stopped") {
        td.append(button("Start", () => act("Start " + vm.name, "POST", path + "/start")));
      }
    }
    tr.append(td);
    tb.append(tr);
  }
}

function renderHealth(status) {
  const h = status.health || {};
  const e = $("#health");
  e.textContent = h.text || "?";
  e.className = "health " + (h.state === "ok" ? "ok" : h.state === "degraded" ? "warn" : "bad");
  const ul = $("#incidents");
  ul.replaceChildren();
  for (const inc of h.open_incidents || []) ul.append(el("li", inc.id + " " + inc.summary));
  if (!ul.children.length) ul.append(el("li", "none"));
}

async function pollEvents() {
  const r = await api("GET", "/api/events");
  if (r.status !== 200) return;
  const tb = $("#events tbody");
  tb.replaceChildren();
  const evs = (r.doc.events || []).slice(-30).reverse();
  for (const ev of evs) {
    const t = new Date((ev.time || 0) * 1000).toISOString().replace("T", " ").slice(0, 19);
    const tr = el("tr");
    tr.append(el("td", t), el("td", ev.type), el("td", ev.node || "-"), el("td", ev.vm || "-"),
      el("td", ev.result || "-"));
    tb.append(tr);
  }
}

let polling = false;
let eventsDue = 0;
async function poll() {
  if (polling || !session) return;
  polling = true;
  try {
    const r = await apiText("/api/status");
    if (r.status === 401) { showLogin(); return; }
    if (r.status === 200) {
      // Redrawn only when something changed: 500 rows every poll would keep the browser busy.
      if (r.text !== lastStatusText) {
        lastStatusText = r.text;
        const doc = JSON.parse(r.text);
        renderHealth(doc);
        renderNodes(doc);
        renderVms(doc);
        // When the page last showed a change (ms since the epoch): for tests and bench/web-render.
        document.body.dataset.renderedAt = String(performance.timeOrigin + performance.now());
      }
      document.body.dataset.updated = String(Date.now());
    } else {
      let error = "no answer (" + r.status + ")";
      try { error = JSON.parse(r.text).error || error; } catch (e) { /* keep */ }
      $("#health").textContent = error;
      $("#health").className = "health bad";
      lastStatusText = null;
    }
    if (Date.now() >= eventsDue) {
      eventsDue = Date.now() + 2000;
      await pollEvents();
    }
  } catch (e) {
    $("#health").textContent = "no connection to vmha-web";
    $("#health").className = "health bad";
  } finally {
    polling = false;
  }
}

function showLogin() {
  session = null;
  // Nothing of the cluster stays on a logged-out page, and the next login (perhaps read-only)
  // starts from empty tables rather than from the last user's rows and buttons.
  lastStatusText = null;
  for (const id of ["#nodes tbody", "#vms tbody", "#events tbody", "#incidents"])
    $(id).replaceChildren();
  $("#health").textContent = "…";
  $("#health").className = "health";
  $("#console").hidden = true;
  $("#logout").hidden = true;
  $("#who").textContent = "";
  $("#login").hidden = false;
}

function showConsole() {
  lastStatusText = null;
  $("#login").hidden = true;
  $("#console").hidden = false;
  $("#logout").hidden = false;
  $("#who").textContent = session.user + " (" + (isAdmin() ? "may act" : "read-only") + ")";
  document.body.dataset.role = session.role;
  poll();
}

async function start() {
  $("#login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const body = f.token.value ? { token: f.token.value }
      : { user: f.user.value, password: f.password.value };
    const r = await api("POST", "/api/login", body);
    f.password.value = "";
    f.token.value = "";
    if (r.status !== 200) { $("#login-error").textContent = r.doc.error || "login failed"; return; }
    $("#login-error").textContent = "";
    session = r.doc;
    showConsole();
  });
  $("#logout").addEventListener("click", async () => {
    await api("POST", "/api/logout");
    showLogin();
  });
  $("#plan-cancel").addEventListener("click", () => { plan = null; $("#plan").hidden = true; });
  $("#plan-go").addEventListener("click", async () => {
    if (!plan) return;
    const node = plan.node;
    const force = plan.doc.unplaced > 0;
    $("#plan").hidden = true;
    plan = null;
    await act("Drain " + node + (force ? " (forced: VMs without a place are stopped)" : ""),
      "POST", "/api/nodes/" + encodeURIComponent(node) + "/drain", { force });
  });
  const r = await api("GET", "/api/session");
  if (r.status === 200) { session = r.doc; showConsole(); } else showLogin();
  pollLoop();
}

async function pollLoop() {
  await poll();
  setTimeout(pollLoop, POLL_MS);
}

document.addEventListener("DOMContentLoaded", start);
