// caucus web console: plain JavaScript over the /v1 API, no build step.
// The list and the roster follow the live event stream (websocket
// /v1/events): every change there re-reads the view shown; if the stream
// drops, it reconnects and a slow poll covers the gap.
"use strict";
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g,
  (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

// The API token (when the server asks for one), kept for this browser
const token = () => localStorage.getItem("caucus-token") || "";

async function api(method, path, body) {
  const headers = body ? {"Content-Type": "application/json"} : {};
  const used = token();
  if (used) headers.Authorization = "Bearer " + used;
  const r = await fetch("/v1" + path, {
    method, headers, body: body ? JSON.stringify(body) : undefined,
  });
  if (r.status === 401) {
    // only when the token refused is still the one we have: an answer to
    // a request sent before signing in says nothing about the new token
    if (used === token()) showLogin(true);
    throw new Error("sign in with the API token");
  }
  if (r.status === 204) return null;
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`${j.error || r.status}${j.detail ? ": " + j.detail : ""}`);
  return j;
}

function showError(e) { $("#error").textContent = e ? e.message : ""; }

function showLogin(on) {
  $("#login").hidden = !on;
  $("main").classList.toggle("locked", on);
}

async function renderList() {
  const {conferences} = await api("GET", "/conferences");
  $("#confs tbody").innerHTML = conferences.map((c) => `<tr>
    <td><a href="#${esc(c.id)}">${esc(c.display_text || c.id)}</a>
      <div class="muted">${esc(c.id)}</div></td>
    <td><code>${esc(c.conference_uri)}</code></td>
    <td>${c.participant_count}</td>
    <td><div class="actions"><button class="danger" data-destroy="${esc(c.id)}">
      Destroy</button></div></td></tr>`).join("") ||
    `<tr><td colspan="4" class="muted">No conferences yet.</td></tr>`;
}

// Who the token belongs to (GET /v1/me), for what the page offers
let me = null;
async function whoami() {
  me = await api("GET", "/me").catch(() => null);
  $("#who").textContent = me ? (me.aor || me.name) + (me.admin ? " (administrator)" : "") : "";
}

function partRow(cid, p, mod) {
  const m = p.media || {};
  const mine = me && me.aor && me.aor.toLowerCase() === String(p.uri).toLowerCase();
  const btn = (field, label, on) => `<button class="ghost ${p[field] ? "on" : ""}"
    data-toggle="${field}" data-pid="${esc(p.id)}" data-val="${!p[field]}"
    title="${p[field] ? "click to undo" : ""}">${p[field] ? on : label}</button>`;
  const live = p.status !== "failed" && p.status !== "disconnecting";
  const why = p.status === "failed" ?
    `<div class="muted">${p.sip_code ? p.sip_code + " " : ""}${esc(p.reason)}</div>` : "";
  const talk = p.talking ? `<span class="talking" title="talking${p.muted ? " (muted)" : ""}"></span>` : "";
  return `<tr class="${p.talking ? "is-talking" : ""}"><td>${talk}${esc(p.display_name || p.uri)}
      ${p.display_name ? `<div class="muted">${esc(p.uri)}</div>` : ""}</td>
    <td><span class="status ${esc(p.status)}">${p.pending ? "waiting" : esc(p.status)}</span>${why}
      ${p.role && p.role !== "participant" ? `<div class="muted">${esc(p.role)}</div>` : ""}
      ${p.anonymous ? `<div class="muted badge">anonymous to others</div>` : ""}
      ${p.hidden ? `<div class="muted badge">hidden from others</div>` : ""}
      ${p.referred_by ? `<div class="muted">referred by ${esc(p.referred_by)}</div>` : ""}</td>
    <td>${m.codec ? `${esc(m.codec)} ${esc(m.direction)}<div class="muted">
      in ${m.rx_packets} / out ${m.tx_packets}, lost ${m.rx_lost},
      jitter ${m.jitter_ms.toFixed(1)} ms</div>` : ""}</td>
    <td>${live && (mod || mine) ? `${btn("muted", "Mute", "Muted")} ${btn("deaf", "Deaf", "Deafened")}` : ""}</td>
    <td>${mod || mine ? `<div class="actions"><button class="danger" data-kick="${esc(p.id)}">
      ${mine ? "Leave" : "Remove"}</button></div>` : ""}</td></tr>`;
}

async function renderConf(id) {
  const c = await api("GET", "/conferences/" + encodeURIComponent(id));
  const audio = (c.media || []).find((m) => m.type === "audio");
  $("#conf-title").textContent = c.display_text || c.id;
  $("#conf-uri").textContent = c.conference_uri;
  if (document.activeElement !== $("#audio"))
    $("#audio").value = audio ? audio.status : "none";
  if (document.activeElement !== $("#mix-rate"))
    $("#mix-rate").value = String(c.mix_rate || 0);
  // moderators see who waits; for others the page leaves out what the
  // server would refuse them
  let pending = [], mod = true;
  try {
    ({pending} = await api("GET", `/conferences/${encodeURIComponent(id)}/pending`));
  } catch (e) {
    if (!/forbidden/.test(e.message)) throw e;
    mod = false;
  }
  $("#dial").hidden = !mod;
  $("#waiting").hidden = !pending.length;
  $("#pend tbody").innerHTML = pending.map((p) => `<tr>
    <td>${esc(p.display_name || p.uri)}<div class="muted">${esc(p.uri)}</div></td>
    <td><div class="actions"><button data-approve="${esc(p.id)}">Let in</button>
      <button class="danger" data-reject="${esc(p.id)}">Refuse</button></div></td></tr>`).join("");
  const {messages} = await api("GET", `/conferences/${encodeURIComponent(id)}/messages`);
  $("#msgs").innerHTML = messages.slice(-8).map((m) =>
    `<li><b>${esc(m.display || m.from)}</b> ${esc(m.text)}</li>`).join("");
  $("#parts tbody").innerHTML = c.participants.map((p) => partRow(id, p, mod)).join("") ||
    `<tr><td colspan="5" class="muted">Nobody here yet. Call ${esc(c.conference_uri)}.</td></tr>`;
}

function current() { return decodeURIComponent(location.hash.slice(1)); }

async function render() {
  const id = current();
  $("#list-view").hidden = !!id;
  $("#conf-view").hidden = !id;
  try {
    if (id) await renderConf(id); else await renderList();
    showError(null);
  } catch (e) { showError(e); }
}

document.addEventListener("click", async (ev) => {
  const t = ev.target.closest("button");
  if (!t) return;
  const id = current();
  try {
    if (t.dataset.destroy && confirm(`Destroy ${t.dataset.destroy}? Everyone is hung up.`))
      await api("DELETE", "/conferences/" + encodeURIComponent(t.dataset.destroy));
    else if (t.dataset.approve)
      await api("POST", `/conferences/${encodeURIComponent(id)}/pending/${t.dataset.approve}/approve`);
    else if (t.dataset.reject)
      await api("POST", `/conferences/${encodeURIComponent(id)}/pending/${t.dataset.reject}/reject`);
    else if (t.dataset.kick)
      await api("DELETE", `/conferences/${encodeURIComponent(id)}/participants/${t.dataset.kick}`);
    else if (t.dataset.toggle)
      await api("PATCH", `/conferences/${encodeURIComponent(id)}/participants/${t.dataset.pid}`,
        {[t.dataset.toggle]: t.dataset.val === "true"});
    await render();
  } catch (e) { showError(e); }
});

$("#create").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target), body = {};
  for (const [k, v] of f) if (v) body[k] = v;
  try { await api("POST", "/conferences", body); ev.target.reset(); await render(); }
  catch (e) { showError(e); }
});

$("#audio").addEventListener("change", async (ev) => {
  const v = ev.target.value;
  try {
    await api("PATCH", "/conferences/" + encodeURIComponent(current()),
      {media: v === "none" ? [] : [{type: "audio", status: v}]});
    await render();
  } catch (e) { showError(e); }
});

$("#mix-rate").addEventListener("change", async (ev) => {
  try {
    await api("PATCH", "/conferences/" + encodeURIComponent(current()),
      {mix_rate: Number(ev.target.value)});
    await render();
  } catch (e) { showError(e); }
});

// The policy: loaded when opened, saved with If-Match
let policyEtag = "";
async function loadPolicy() {
  const headers = token() ? {Authorization: "Bearer " + token()} : {};
  const r = await fetch(`/v1/conferences/${encodeURIComponent(current())}/policy`, {headers});
  if (!r.ok) { $("#policy-msg").textContent = `cannot load (${r.status})`; return; }
  policyEtag = r.headers.get("ETag") || "";
  $("#policy").value = JSON.stringify(await r.json(), null, 1);
  $("#policy-msg").textContent = "";
}
$("#policy-box").addEventListener("toggle", () => { if ($("#policy-box").open) loadPolicy(); });
$("#policy-save").addEventListener("click", async () => {
  const headers = {"Content-Type": "application/json", "If-Match": policyEtag};
  if (token()) headers.Authorization = "Bearer " + token();
  const r = await fetch(`/v1/conferences/${encodeURIComponent(current())}/policy`,
    {method: "PUT", headers, body: $("#policy").value});
  const j = await r.json().catch(() => ({}));
  if (r.ok) {
    policyEtag = r.headers.get("ETag") || "";
    $("#policy").value = JSON.stringify(j, null, 1);
    $("#policy-msg").textContent = "saved";
  } else if (r.status === 412) {
    $("#policy-msg").textContent = "someone changed the policy meanwhile: reloaded, edit again";
    await loadPolicy();
  } else {
    $("#policy-msg").textContent = `${j.error || r.status}${j.detail ? ": " + j.detail : ""}`;
  }
});

$("#say").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const text = new FormData(ev.target).get("text");
  try {
    await api("POST", `/conferences/${encodeURIComponent(current())}/messages`, {text});
    ev.target.reset(); await render();
  } catch (e) { showError(e); }
});

$("#dial").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const uri = new FormData(ev.target).get("uri");
  try {
    await api("POST", `/conferences/${encodeURIComponent(current())}/participants`, {uri});
    ev.target.reset(); await render();
  } catch (e) { showError(e); }
});

// The event stream: any change re-reads the view (at most every 100 ms)
let pending = null;
function soon() {
  if (!pending) pending = setTimeout(() => { pending = null; render(); }, 100);
}
function follow() {
  const q = token() ? "?token=" + encodeURIComponent(token()) : "";
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/events${q}`);
  ws.onopen = () => { $("#live").textContent = "live"; $("#live").className = "live on"; };
  ws.onmessage = (m) => {
    let ev = {};
    try { ev = JSON.parse(m.data); } catch (e) { return; }
    const id = current();
    if (!id || ev.conference === id) soon();
  };
  ws.onclose = () => {
    $("#live").textContent = "reconnecting"; $("#live").className = "live";
    setTimeout(follow, 2000);
  };
}

$("#login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  localStorage.setItem("caucus-token", new FormData(ev.target).get("token"));
  ev.target.reset();
  showLogin(false);
  await whoami();
  await render();
});

window.addEventListener("hashchange", render);
$("#server").textContent = location.host;
whoami().then(render);
follow();
setInterval(render, 10000);    // a safety net, not the source of updates
