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
// The drain or failback this page started, followed until its VMs have settled:
// {kind: "drain"|"failback", node, vms: Map(VM name -> {asked, refused})}.
let tracking = null;

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

// After a confirmation; onDone(doc) sees a successful answer before the next poll.
async function act(what, method, path, body, onDone) {
  lastStatusText = null;
  if (!window.confirm(what + "?")) return;
  message(what + " …");
  const r = await api(method, path, body);
  if (r.status === 200) {
    message(what + ": " + (r.doc.result || "done"));
    if (onDone) onDone(r.doc);
  } else {
    message(what + ": " + (r.doc.error || r.status), true);
  }
  poll();
}

function follow(kind, node, asked, notAsked) {
  const vms = new Map();
  for (const name of asked) vms.set(name, { asked: true, refused: null });
  for (const name of notAsked || []) vms.set(name, { asked: false, refused: null });
  tracking = { kind, node, vms };
  lastStatusText = null; // shown from the next answer on, changed or not
}

// Where each VM of a drain or failback (t, as `tracking`) stands in a status document, as
// `vmctl node drain --wait` and `node resume --failback --wait` follow them: arrived (off the
// drained node, or back on the failback's node), moving (an operation in flight), waiting (the
// plan moves it, nothing started yet), kept (the plan keeps it where it runs: not moved),
// ended (stopped, failed or removed). Pure: toAsk names the VMs of a failback that were in
// flight when it was asked and have landed elsewhere, which the caller asks to come back as
// `vmctl node resume --failback` does.
function progressOf(t, status) {
  const byName = new Map((status.vms || []).map((v) => [v.name, v]));
  const node = (status.nodes || []).find((n) => n.name === t.node);
  const p = { arrived: [], moving: [], waiting: [], kept: [], ended: [], toAsk: [] };
  for (const [name, f] of t.vms) {
    const vm = byName.get(name);
    if (!vm) { p.ended.push(name + " (removed)"); continue; }
    const on = (vm.nodes || []).length === 1 ? vm.nodes[0] : null;
    const running = vm.state === "running" && on !== null;
    const away = running && on !== t.node;
    if (t.kind === "failback" ? running && !away : away) { p.arrived.push(name); continue; }
    if (vm.pending || ["migrating", "starting", "stopping"].includes(vm.state)) {
      p.moving.push(name + " (" + vm.state + (vm.planned_node ? " to " + vm.planned_node : "") +
        ")");
    } else if (vm.state === "recovering") {
      p.waiting.push(name + " (" + (vm.why || "recovering") + ")");
    } else if (running && t.kind === "failback" && !f.asked) {
      p.toAsk.push(name);
      p.waiting.push(name + " (landed on " + on + ", asked to come back)");
    } else if (running && f.refused) {
      p.kept.push(name + " on " + on + ": " + f.refused);
    } else if (running && (t.kind === "failback" ? vm.planned_node === t.node
      : vm.planned_node && vm.planned_node !== t.node)) {
      p.waiting.push(name + " (on " + on + ", to move)");
    } else if (running) {
      p.kept.push(name + " on " + on + (vm.why ? ": " + vm.why : ""));
    } else {
      p.ended.push(name + " " + (vm.state || "?") + (vm.why ? ": " + vm.why : ""));
    }
  }
  const state = node ? node.state : null;
  p.total = t.vms.size;
  p.nodeState = state;
  // A drain also ends when the node stops draining (resumed, lost): said, not hidden.
  p.interrupted = t.kind === "drain" && state !== null && state !== "draining" &&
    state !== "drained";
  // Settled: nothing moves or waits any more. A drain is done once its node is drained, or
  // settled with VMs kept there (it will not be drained then; `vmctl node drain` fails so).
  const settled = p.moving.length === 0 && p.waiting.length === 0;
  p.done = p.interrupted || (settled && (t.kind !== "drain" || state === "drained" || !node ||
    p.kept.length > 0));
  return p;
}

function renderProgress(status) {
  if (!tracking) { $("#progress").hidden = true; return []; }
  // No VM list, or one from a database being synced: nothing is known to have moved or gone.
  if (!Array.isArray(status.vms) || !(status.database || {}).in_sync) return [];
  const t = tracking;
  const p = progressOf(t, status);
  const what = t.kind === "drain" ? "Drain of " + t.node : "Failback to " + t.node;
  const count = p.arrived.length + " of " + p.total + " VM(s) " +
    (t.kind === "drain" ? "moved off" : "back");
  $("#progress-title").textContent = what + (p.interrupted ? " ended: " + t.node + " is " +
    p.nodeState : p.done ? " done" : " in progress") + ": " + count;
  const ul = $("#progress-list");
  ul.replaceChildren();
  const groups = [["arrived", t.kind === "drain" ? "moved" : "back on " + t.node],
    ["moving", "moving"], ["waiting", "waiting"], ["kept", "not moved"],
    ["ended", "not running"]];
  for (const [key, label] of groups) {
    if (!p[key].length) continue;
    const li = el("li", label + ": " + p[key].join(", "), key);
    ul.append(li);
  }
  $("#progress").dataset.done = String(p.done);
  $("#progress").hidden = false;
  return p.toAsk;
}

// The failback's VMs that were in flight when it was asked, once they landed elsewhere: asked
// to come back, once each; a refusal is shown as the reason it stays.
async function askBack(names) {
  const t = tracking;
  for (const name of names) {
    const f = t.vms.get(name);
    f.asked = true;
    const r = await api("POST", "/api/vms/" + encodeURIComponent(name) + "/move", { to: t.node });
    if (r.status !== 200) f.refused = r.doc.error || String(r.status);
  }
  lastStatusText = null;
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

// A node's memory in use of its capacity, with a bar; "-" when it has none (or clusterd sent
// no load: out of sync, an older clusterd); and its cpu the same way when it has a capacity.
function loadCell(load) {
  const td = el("td", null, "load");
  if (!load || load.memory_mib === null || load.memory_mib === undefined) {
    td.textContent = "-";
  } else {
    const pct = load.memory_mib > 0 ? Math.round(100 * load.memory_used_mib / load.memory_mib)
      : 100;
    const bar = el("meter");
    bar.min = 0;
    bar.max = Math.max(load.memory_mib, 1);
    bar.low = 0.75 * bar.max;
    bar.high = 0.9 * bar.max;
    bar.optimum = 0;
    bar.value = Math.min(load.memory_used_mib, bar.max);
    td.append(bar, el("span", " " + load.memory_used_mib + "/" + load.memory_mib + " MiB (" +
      pct + "%)", "memory"));
  }
  if (load && load.cpu !== null && load.cpu !== undefined)
    td.append(el("span", ", cpu " + load.cpu_used + "/" + load.cpu, "cpu"));
  return td;
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
    // The VMs there: clusterd's count (also those with an operation in flight there), else
    // (an older clusterd) those the VM list places there.
    const vms = n.load ? n.load.vms : count[n.name] || 0;
    tr.append(el("td", n.name), el("td", state, "state"), el("td", role || "-"),
      el("td", vms, "vms"), loadCell(n.load));
    const td = el("td", null, "actions");
    if (isAdmin()) {
      const path = "/api/nodes/" + encodeURIComponent(n.name) + "/resume";
      if (state === "online") td.append(button("Drain", () => showPlan(n.name)));
      if (n.drain || n.standby) {
        td.append(button("Resume", () => act("Resume " + n.name, "POST", path,
          { failback: false })));
        td.append(button("Resume with failback", () => act("Resume " + n.name + " with failback",
          "POST", path, { failback: true }, (doc) => {
            const asked = doc.failback || [], inFlight = doc.in_flight || [];
            if (asked.length + inFlight.length === 0) {
              tracking = null;
              message("Resume " + n.name + " with failback: resumed; no VM to fail back");
            } else {
              follow("failback", n.name, asked, inFlight);
            }
          })));
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
        const toAsk = renderProgress(doc);
        if (toAsk.length) await askBack(toAsk);
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
  for (const id of ["#nodes tbody", "#vms tbody", "#events tbody", "#incidents",
    "#progress-list"])
    $(id).replaceChildren();
  tracking = null;
  $("#progress").hidden = true;
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
  $("#progress-close").addEventListener("click", () => {
    tracking = null;
    $("#progress").hidden = true;
  });
  $("#plan-go").addEventListener("click", async () => {
    if (!plan) return;
    const node = plan.node;
    const force = plan.doc.unplaced > 0;
    $("#plan").hidden = true;
    plan = null;
    await act("Drain " + node + (force ? " (forced: VMs without a place are stopped)" : ""),
      "POST", "/api/nodes/" + encodeURIComponent(node) + "/drain", { force },
      (doc) => follow("drain", node, ((doc.plan || {}).moves || []).map((m) => m.vm)));
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
