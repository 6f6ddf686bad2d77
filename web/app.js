// caucus web console: plain JavaScript over the /v1 API, no build step.
// The list and the roster follow the live event stream (websocket
// /v1/events): every change there re-reads the view shown; if the stream
// drops, it reconnects and a slow poll covers the gap. Moderators also get
// the applications: announcements, recordings (start, stop, download) and
// the PIN lobby; and the rooms: sidebars (make, end, move people between
// them), breakouts, the floor and whispers; and floor control: its
// policy, the holders and the queue with grant, deny and revoke (a
// participant asks for the floor, or lets it go, from its own row); and
// the video: its settings (moderators change them), who is on screen
// and pinned (from the conference document the event stream carries),
// each participant's video and what it sees, pins and camera buttons.
// The conference shown has a stream of its own for its participants'
// levels (a meter in each row) and its mixer load, which only moves the
// meters: the server measures levels only while someone looks.
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

// The sidebars and the roster as a row needs them: names by id
function roomsOf(sidebars, parts) {
  const name = (pid) => {
    const q = parts.find((x) => x.id === pid);
    return q ? q.display_name || q.uri : pid;
  };
  const sbName = (sid) => {
    const s = sidebars.find((x) => x.id === sid);
    return s ? s.display_text || s.id : sid;
  };
  return {sidebars, parts, name, sbName};
}

const isLive = (p) => p.status !== "failed" && p.status !== "disconnecting";
const isMine = (p) => !!(me && me.aor && me.aor.toLowerCase() === String(p.uri).toLowerCase());

// The conference documents from the event stream (RFC 4575 as JSON), by
// conference: their users by entity, kept from partial documents (a user
// that changed comes whole, one that left as deleted). The roster takes
// who is on screen and who is pinned from caucus's own element at the
// end of each endpoint (video-speaker, video-pinned).
const docs = {};
const asList = (x) => x == null ? [] : Array.isArray(x) ? x : [x];
const text = (v) => v != null && typeof v === "object" ? v["#text"] : v;
function keepDoc(ev) {
  const ci = ev.document && ev.document["conference-info"];
  if (!ci) return;
  const users = ev.state === "full" || !docs[ev.conference] ? {} : docs[ev.conference];
  for (const u of asList(ci.users && ci.users.user)) {
    if (u["@state"] === "deleted") delete users[u["@entity"]];
    else users[u["@entity"]] = u;
  }
  docs[ev.conference] = users;
}

// p's endpoint in the document: the one whose video's src-id is the
// API's video.tx_ssrc, else the one whose entity ends with its id, else
// its user's only one (undefined: no document yet; null: not in it)
function endpointOf(cid, p) {
  const users = docs[cid];
  if (!users) return undefined;
  const ssrc = p.video ? String(p.video.tx_ssrc) : null;
  for (const u of Object.values(users)) {
    const eps = asList(u.endpoint);
    for (const ep of eps) {
      const vm = asList(ep.media).find((m) => text(m.type) === "video");
      if ((ssrc && vm && String(text(vm["src-id"])) === ssrc) ||
          String(ep["@entity"] || "").endsWith(";ep=" + p.id) ||
          (u["@entity"] === p.uri && eps.length === 1)) return ep;
    }
  }
  return null;
}

// Is p on screen (the speaker shown), is it pinned? From the document;
// before one came, from the API's conference
function videoMarks(cid, p, c) {
  const ep = endpointOf(cid, p);
  if (ep === undefined)
    return {speaker: !!c.video && c.video.shown === p.id, pinned: !!c.video && c.video.pinned === p.id};
  const x = (ep && ep.caucus) || {};
  return {speaker: x["@video-speaker"] === "true", pinned: x["@video-pinned"] === "true"};
}

// What the rows need of the conference's video: the conference, may the
// page pin (moderators, the holder of the audio floor), may it steer
// cameras (moderators, or a participant in the call when the policy says
// participants)
let vidNow = {conf: {}, pin: false, steer: false};
const cameraButtons = [["pan_left", "Left"], ["pan_right", "Right"], ["tilt_up", "Up"],
  ["tilt_down", "Down"], ["zoom_in", "Zoom in"], ["zoom_out", "Zoom out"]];

function videoCell(p, rooms) {
  const v = p.video;
  if (!v) return "";
  const sees = v.sees === "composed" ? "the composed picture" : v.sees ? rooms.name(v.sees) : "nobody yet";
  return `<div class="video-info">video ${esc(v.codec)} ${esc(v.direction)}<div class="muted">
    sees ${esc(sees)}, in ${v.rx_kbps} / out ${v.tx_kbps} kbps</div></div>`;
}

function videoActions(cid, p, marks) {
  const v = p.video;
  if (!v || !isLive(p)) return "";
  const pin = v.sends && vidNow.pin ? `<button class="ghost${marks.pinned ? " on" : ""}"
    data-pin="${marks.pinned ? "" : esc(p.id)}">${marks.pinned ? "Unpin" : "Pin video"}</button>` : "";
  const cam = v.camera_control && vidNow.steer ? `<div class="camera" title="steer its camera">${
    cameraButtons.map(([a, label]) => `<button class="ghost" data-camera="${a}"
      data-pid="${esc(p.id)}">${label}</button>`).join("")}</div>` : "";
  return pin + cam;
}

// Moderators move a participant between rooms and set its whisper with
// these selectors (a change is sent as it is made)
function roomSelect(p, rooms) {
  return `<select class="room" data-move="${esc(p.id)}" title="the room it is in">
    <option value="">main room</option>${rooms.sidebars.map((s) =>
      `<option value="${esc(s.id)}"${p.sidebar === s.id ? " selected" : ""}>${
        esc(s.display_text || s.id)}</option>`).join("")}</select>`;
}

function whisperSelect(p, rooms) {
  const to = p.whisper ? p.whisper.to : "";
  return `<select class="whisper" data-whisper="${esc(p.id)}" title="speak to one participant alone">
    <option value="">no whisper</option>${rooms.parts.filter((q) => q.id !== p.id && isLive(q))
      .map((q) => `<option value="${esc(q.id)}"${to === q.id ? " selected" : ""}>whisper to ${
        esc(q.display_name || q.uri)}</option>`).join("")}</select>`;
}

function partRow(cid, p, mod, rooms) {
  const m = p.media || {};
  const mine = isMine(p);
  const marks = videoMarks(cid, p, vidNow.conf);
  const btn = (field, label, on) => `<button class="ghost ${p[field] ? "on" : ""}"
    data-toggle="${field}" data-pid="${esc(p.id)}" data-val="${!p[field]}"
    title="${p[field] ? "click to undo" : ""}">${p[field] ? on : label}</button>`;
  const live = isLive(p);
  const hears = {target: " (hears them only)", none: " (hears nothing)"};
  const why = p.status === "failed" ?
    `<div class="muted">${p.sip_code ? p.sip_code + " " : ""}${esc(p.reason)}</div>` : "";
  const talk = p.talking ? `<span class="talking" title="talking${p.muted ? " (muted)" : ""}"></span>` : "";
  // words, not an emoji: not every browser has a font with the hand
  const hand = p.hand_raised ? `<span class="hand" title="hand raised">hand up</span>` : "";
  // a raised hand is lowered by a moderator or by its owner
  const lower = p.hand_raised && (mod || mine) ? `<button class="ghost" data-toggle="hand_raised"
    data-pid="${esc(p.id)}" data-val="false">Lower hand</button>` : "";
  // with floor control on, a participant asks for the floor itself
  const ask = !floorOn || !mine || !live ? "" : p.floor_request != null ?
    `<button class="ghost" data-floor-release="${p.floor_request}">${p.floor ?
      "Release floor" : "Cancel floor request"}</button>` :
    `<button class="ghost" data-floor-ask="${esc(p.id)}">Request floor</button>`;
  return `<tr class="${p.talking ? "is-talking" : ""}${p.hand_raised ? " hand-up" : ""}"><td>${talk}${hand}${esc(p.display_name || p.uri)}
      ${p.display_name ? `<div class="muted">${esc(p.uri)}</div>` : ""}${live ? meter(p.id) : ""}</td>
    <td><span class="status ${p.lobby ? "lobby" : esc(p.status)}">${p.lobby ? "lobby" :
      p.pending ? "waiting" : esc(p.status)}</span>${why}
      ${p.lobby ? `<div class="muted">keying the PIN</div>` : ""}
      ${p.role && p.role !== "participant" ? `<div class="muted">${esc(p.role)}</div>` : ""}
      ${p.anonymous ? `<div class="muted badge">anonymous to others</div>` : ""}
      ${p.hidden ? `<div class="muted badge">hidden from others</div>` : ""}
      ${p.referred_by ? `<div class="muted">referred by ${esc(p.referred_by)}</div>` : ""}
      ${p.sidebar ? `<div class="muted">in <span class="status sidebar">${esc(rooms.sbName(p.sidebar))}</span></div>` : ""}
      ${p.floor ? `<div><span class="status floor">has the floor</span></div>` : ""}
      ${marks.speaker ? `<div><span class="status on-screen">on screen</span></div>` : ""}
      ${marks.pinned ? `<div><span class="status pinned">pinned</span></div>` : ""}
      ${p.whisper ? `<div class="muted whispers">whispers to ${esc(rooms.name(p.whisper.to))}${
        hears[p.whisper.listen] || ""}</div>` : ""}</td>
    <td>${m.codec ? `${esc(m.codec)} ${esc(m.direction)}<div class="muted">
      in ${m.rx_packets} / out ${m.tx_packets}, lost ${m.rx_lost},
      jitter ${m.jitter_ms.toFixed(1)} ms</div>` : ""}${videoCell(p, rooms)}</td>
    <td>${live && (mod || mine) ? `${btn("muted", "Mute", "Muted")} ${btn("deaf", "Deaf", "Deafened")}` : ""}
      ${live && mod ? btn("floor", "Give floor", "Has floor") : ""}</td>
    <td><div class="video-actions">${videoActions(cid, p, marks)}</div></td>
    <td>${mod || mine ? `<div class="actions">${lower}${ask}${live && mod ?
      roomSelect(p, rooms) + whisperSelect(p, rooms) : ""}<button class="danger" data-kick="${esc(p.id)}">
      ${mine ? "Leave" : "Remove"}</button></div>` : ""}</td></tr>`;
}

// Levels: the last of each participant (dBov, -60 to 0 on the meter)
// and the mixer's load, from the conference's levels stream
let levelsNow = {};
const meterPct = (db) => Math.max(0, Math.min(100, (db + 60) / 60 * 100));
function meter(pid) {
  const db = levelsNow[pid] ?? -127;
  return `<span class="meter${db > -20 ? " loud" : ""}" data-meter="${esc(pid)}" data-db="${db}"
    title="level ${db} dB"><span style="width:${meterPct(db)}%"></span></span>`;
}
function showLevels(ev) {
  levelsNow = ev.levels || {};
  for (const m of document.querySelectorAll("#parts [data-meter]")) {
    const db = levelsNow[m.dataset.meter] ?? -127;
    m.dataset.db = db;
    m.title = `level ${db} dB`;
    m.classList.toggle("loud", db > -20);
    m.firstElementChild.style.width = meterPct(db) + "%";
  }
  $("#mixer-load").textContent = ev.mixer_load == null ? "" :
    `mixer load ${(ev.mixer_load * 100).toFixed(1)} %`;
}

// The levels stream of the conference shown (closed when it is left)
let levelWs = null;
function followLevels(id) {
  if (levelWs && levelWs.conf === id) return;
  if (levelWs) { levelWs.onclose = null; levelWs.close(); levelWs = null; }
  levelsNow = {};
  $("#mixer-load").textContent = "";
  if (!id) return;
  const q = `?conference=${encodeURIComponent(id)}&levels=true` +
    (token() ? "&token=" + encodeURIComponent(token()) : "");
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/events${q}`);
  ws.conf = id;
  ws.onmessage = (m) => {
    let ev = {};
    try { ev = JSON.parse(m.data); } catch (e) { return; }
    if (ev.type === "levels" && ev.conference === current()) showLevels(ev);
  };
  ws.onclose = () => {
    if (levelWs !== ws) return;
    levelWs = null;
    setTimeout(() => followLevels(current()), 2000);
  };
  levelWs = ws;
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
  const video = (c.media || []).find((m) => m.type === "video");
  if (document.activeElement !== $("#video-status"))
    $("#video-status").value = video ? video.status : "none";
  mediaNow = c.media || [];
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
  // a caller in the PIN lobby is let in without its PIN, or sent away
  $("#pend tbody").innerHTML = pending.map((p) => `<tr class="${p.lobby ? "lobby" : ""}">
    <td>${esc(p.display_name || p.uri)}<div class="muted">${esc(p.uri)}</div></td>
    <td class="muted">${p.lobby ? "in the lobby, keying the PIN" : "waits for a moderator"}</td>
    <td><div class="actions"><button data-approve="${esc(p.id)}">Let in</button>
      <button class="danger" data-reject="${esc(p.id)}">${p.lobby ? "Send away" : "Refuse"}</button>
      </div></td></tr>`).join("");
  $("#apps").hidden = !mod;
  $("#sidebars-box").hidden = !mod;
  let sidebars = [];
  if (mod) {
    ({sidebars} = await api("GET", `/conferences/${encodeURIComponent(id)}/sidebars`));
    const breakouts = await api("GET", `/conferences/${encodeURIComponent(id)}/breakouts`);
    renderSidebars(sidebars, breakouts, c.participants);
  }
  await renderFloor(id, mod, c.participants);
  const vs = await api("GET", `/conferences/${encodeURIComponent(id)}/video`);
  renderVideo(vs, mod, c.participants);
  const inCall = c.participants.some((p) => isMine(p) && isLive(p));
  vidNow = {conf: c,
    pin: mod || (floorOn && c.participants.some((p) => isMine(p) && p.floor)),
    steer: vs.camera_control !== "none" && (mod || (vs.camera_control === "participants" && inCall))};
  if (!mod) recOn = null;
  else {
    announceTargets(c.participants);
    // a server whose applications did not start answers 503: no box then
    await renderRecs(id).catch((e) => {
      if (!/no applications/.test(e.message)) throw e;
      $("#apps").hidden = true;
    });
  }
  const {messages} = await api("GET", `/conferences/${encodeURIComponent(id)}/messages`);
  $("#msgs").innerHTML = messages.slice(-8).map((m) =>
    `<li><b>${esc(m.display || m.from)}</b> ${esc(m.text)}</li>`).join("");
  // a selector open in the roster is left alone until it is used
  const open = document.activeElement;
  if (open && open.tagName === "SELECT" && $("#parts").contains(open)) return;
  const rooms = roomsOf(sidebars, c.participants);
  $("#parts tbody").innerHTML = c.participants.map((p) => partRow(id, p, mod, rooms)).join("") ||
    `<tr><td colspan="6" class="muted">Nobody here yet. Call ${esc(c.conference_uri)}.</td></tr>`;
}

// The conference's video: its settings (a form for moderators, read only
// for others; what a moderator has changed and not saved is left alone)
// and who is on screen, pinned; hidden without video
let videoEdited = false;
const cameraWords = {none: "nobody steers cameras", moderators: "moderators steer cameras",
  participants: "participants steer cameras"};
function renderVideo(v, mod, parts) {
  const box = $("#video-box");
  box.hidden = v.status === "none";
  const name = roomsOf([], parts).name;
  $("#video-state").textContent = `${v.mode === "composed" ? `several at once (${v.layout})` :
    "the speaker"}, ${v.width} x ${v.height} at ${v.fps} fps; on screen: ${
    v.shown ? name(v.shown) : "nobody"}${v.pinned ? `; pinned: ${name(v.pinned)}` : ""}; ${
    cameraWords[v.camera_control] || ""}`;
  if (!videoEdited && !box.contains(document.activeElement)) {
    box.elements.mode.value = v.mode;
    box.elements.layout.value = v.layout;
    box.elements.camera_control.value = v.camera_control;
  }
  for (const el of box.querySelectorAll("select")) el.disabled = !mod;
  $("#video-save").hidden = !mod;
}

// The media list as a whole, one type's status changed (none: left out):
// a type the list does not name is taken away
let mediaNow = [];
function mediaWith(kind, status) {
  const media = mediaNow.filter((m) => m.type !== kind);
  if (status !== "none") media.push({type: kind, status});
  return media.sort((a, b) => a.type.localeCompare(b.type));
}

// The sidebars with their members, and the breakouts (moderators)
let breakoutOn = false;
function renderSidebars(sidebars, breakouts, parts) {
  const rooms = roomsOf(sidebars, parts);
  $("#sidebars tbody").innerHTML = sidebars.map((s) => `<tr data-sid="${esc(s.id)}">
    <td>${esc(s.display_text || s.id)}<div class="muted">${esc(s.id)}${s.breakout ? " (breakout)" : ""}</div></td>
    <td class="members">${s.members.map((m) => esc(rooms.name(m))).join(", ") ||
      `<span class="muted">nobody yet</span>`}</td>
    <td>${s.background_db == null ? "not heard" : `${s.background_db} dB`}</td>
    <td><div class="actions"><button class="danger" data-sidebar-rm="${esc(s.id)}">End</button></div></td>
    </tr>`).join("") || `<tr><td colspan="4" class="muted">No sidebars.</td></tr>`;
  breakoutOn = breakouts.active;
  const t = $("#breakout-toggle");
  t.textContent = breakoutOn ? "End breakouts" : "Start breakouts";
  t.className = breakoutOn ? "danger" : "";
  const end = breakouts.rooms.map((r) => r.ends_at).find(Boolean);
  $("#breakout-state").textContent = !breakoutOn ? "" : `${breakouts.rooms.length} rooms` +
    (end ? `, until ${new Date(end * 1000).toLocaleTimeString()}` : ", until ended");
}

// Floor control (the audio floor, 1): the policy's form, the holders and
// the queue for moderators; whether it is on, for every row's buttons
let floorOn = false;
const floorPath = (id) => `/conferences/${encodeURIComponent(id)}/floors/1`;
async function renderFloor(id, mod, parts) {
  const f = await api("GET", floorPath(id));
  floorOn = f.policy.enabled;
  $("#floor-box").hidden = !mod;
  if (!mod) return;
  const form = $("#floor-policy");
  if (!form.contains(document.activeElement)) {
    form.enabled.checked = f.policy.enabled;
    form.mode.value = f.policy.mode;
    form.max_holders.value = f.policy.max_holders;
    form.limit_s.value = f.policy.limit_s;
  }
  const name = roomsOf([], parts).name;
  const who = (q) => `${q.participant ? esc(name(q.participant)) : `<span class="muted">left</span>`}${
    q.info ? `<div class="muted">${esc(q.info)}</div>` : ""}`;
  const act = (q, a, label, cls = "") => `<button class="${cls}" data-floor-act="${a}"
    data-rid="${q.id}">${label}</button>`;
  $("#floor-holders tbody").innerHTML = f.holders.map((q) => `<tr data-rid="${q.id}">
    <td>${who(q)}</td><td class="muted">${new Date(q.since).toLocaleTimeString()}</td>
    <td><div class="actions">${act(q, "revoke", "Revoke", "danger")}</div></td></tr>`).join("") ||
    `<tr><td colspan="3" class="muted">${floorOn ? "Nobody holds the floor." : "Floor control is off."}</td></tr>`;
  $("#floor-queue tbody").innerHTML = f.queue.map((q) => `<tr data-rid="${q.id}">
    <td>${q.queue_position}. ${who(q)}</td>
    <td><span class="status floor-${esc(q.status)}">${esc(q.status)}</span>${
      q.status_info ? `<div class="muted">${esc(q.status_info)}</div>` : ""}</td>
    <td>${q.priority}</td>
    <td><div class="actions">${act(q, "grant", "Grant")}${q.status === "pending" ?
      act(q, "accept", "Accept", "ghost") : ""}${act(q, "deny", "Deny", "danger")}</div></td>
    </tr>`).join("") || `<tr><td colspan="4" class="muted">Nobody waits.</td></tr>`;
  $("#floor-ask").hidden = !floorOn;
  const sel = $("#floor-ask select[name=participant]");
  if (document.activeElement !== sel) {
    const keep = sel.value;
    sel.innerHTML = parts.filter((p) => isLive(p) && p.floor_request == null)
      .map((p) => `<option value="${esc(p.id)}">${esc(p.display_name || p.uri)}</option>`).join("");
    if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
  }
}

// m:ss of milliseconds
const clock = (ms) => `${Math.floor(ms / 60000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, "0")}`;
const size = (n) => n == null ? "" : n < 1e6 ? `${Math.round(n / 1e3)} kB` : `${(n / 1e6).toFixed(1)} MB`;

// The recordings (moderators): the one on, if any, and the list. The
// duration of the one on is counted on here between re-reads.
let recOn = null;
async function renderRecs(id) {
  const {recordings} = await api("GET", `/conferences/${encodeURIComponent(id)}/recordings`);
  const on = recordings.find((r) => r.state === "recording" || r.state === "stopping");
  recOn = on ? {id: on.id, state: on.state, ms: on.duration_ms || 0, at: performance.now()} : null;
  const t = $("#rec-toggle");
  t.textContent = on ? (on.state === "stopping" ? "Stopping" : "Stop recording") : "Start recording";
  t.className = on ? "danger" : "";
  t.disabled = !!on && on.state === "stopping";
  $("#rec-format").hidden = !!on;
  recTick();
  $("#recs").hidden = !recordings.length;
  $("#recs tbody").innerHTML = recordings.map((r) => {
    const when = r.started_at || r.stopped_at;
    const done = r.state !== "recording" && r.state !== "stopping" && r.bytes;
    return `<tr data-rid="${esc(r.id)}"><td>${when ? esc(new Date(when * 1000).toLocaleString()) : ""}
        <div class="muted">${esc(r.id)}${r.automatic ? " (automatic)" : ""}</div></td>
      <td><span class="status rec-${esc(r.state)}">${esc(r.state)}</span>
        ${r.error ? `<div class="muted">${esc(r.error)}</div>` : ""}</td>
      <td>${r.duration_ms != null ? clock(r.duration_ms) : ""}</td>
      <td>${esc(size(r.bytes))}</td>
      <td><div class="actions">${done ? `<a href="/v1/conferences/${encodeURIComponent(id)}/recordings/${
        encodeURIComponent(r.id)}/audio" data-download="${esc(r.id)}.${esc(r.format)}">Download ${
        esc(r.format)}</a>` : ""}</div></td></tr>`;
  }).join("");
}

function recTick() {
  $("#rec-state").innerHTML = !recOn ? "" : recOn.state === "stopping" ? "finishing the file" :
    `<span class="rec-dot"></span>recording ${clock(recOn.ms + performance.now() - recOn.at)}`;
}
setInterval(() => { if (recOn && !$("#conf-view").hidden) recTick(); }, 1000);

// Whom an announcement goes to: everyone, or one participant present
function announceTargets(parts) {
  const sel = $("#announce-to");
  if (document.activeElement === sel) return;
  const keep = sel.value;
  sel.innerHTML = `<option value="">to everyone</option>` + parts
    .filter((p) => p.status !== "failed" && p.status !== "disconnecting")
    .map((p) => `<option value="${esc(p.id)}">to ${esc(p.display_name || p.uri)} only</option>`).join("");
  sel.value = [...sel.options].some((o) => o.value === keep) ? keep : "";
}

function current() { return decodeURIComponent(location.hash.slice(1)); }

async function render() {
  const id = current();
  $("#list-view").hidden = !!id;
  $("#conf-view").hidden = !id;
  followLevels(id);
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
    else if (t.dataset.sidebarRm)
      await api("DELETE", `/conferences/${encodeURIComponent(id)}/sidebars/${
        encodeURIComponent(t.dataset.sidebarRm)}`);
    else if (t.dataset.floorAct)
      await api("POST", `${floorPath(id)}/requests/${t.dataset.rid}/${t.dataset.floorAct}`);
    else if (t.dataset.floorAsk)
      await api("POST", `${floorPath(id)}/requests`, {participant: t.dataset.floorAsk});
    else if (t.dataset.floorRelease)
      await api("DELETE", `${floorPath(id)}/requests/${t.dataset.floorRelease}`);
    else if (t.dataset.pin !== undefined)
      await api("PATCH", `/conferences/${encodeURIComponent(id)}/video`, {pin: t.dataset.pin || null});
    else if (t.dataset.camera)
      await api("POST", `/conferences/${encodeURIComponent(id)}/participants/${
        encodeURIComponent(t.dataset.pid)}/camera`, {action: t.dataset.camera});
    else if (t.dataset.toggle)
      await api("PATCH", `/conferences/${encodeURIComponent(id)}/participants/${t.dataset.pid}`,
        {[t.dataset.toggle]: t.dataset.val === "true"});
    await render();
  } catch (e) { showError(e); }
});

// A participant moved to another room, or set to whisper (moderators)
document.addEventListener("change", async (ev) => {
  const s = ev.target.closest("select[data-move], select[data-whisper]");
  if (!s) return;
  const pid = s.dataset.move || s.dataset.whisper;
  const body = s.dataset.move ? {sidebar: s.value || null} :
    {whisper: s.value ? {to: s.value, listen: "room"} : null};
  s.blur();
  try {
    await api("PATCH", `/conferences/${encodeURIComponent(current())}/participants/${
      encodeURIComponent(pid)}`, body);
    showError(null);
  } catch (e) { showError(e); }
  await render();
});

$("#sidebar-add").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target), body = {};
  if (f.get("display_text")) body.display_text = f.get("display_text");
  if (f.get("background") === "off") body.background_db = null;
  try {
    await api("POST", `/conferences/${encodeURIComponent(current())}/sidebars`, body);
    ev.target.reset(); await render();
  } catch (e) { showError(e); }
});

$("#floor-policy").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  try {
    const r = await api("PATCH", floorPath(current()), {enabled: f.enabled.checked,
      mode: f.mode.value, max_holders: Number(f.max_holders.value),
      limit_s: Number(f.limit_s.value)});
    $("#floor-msg").textContent = r.policy ? "saved" : "asked: waits for a moderator";
    f.querySelector("button").blur();
    await render();
  } catch (e) { $("#floor-msg").textContent = e.message; }
});

$("#floor-ask").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  try {
    await api("POST", `${floorPath(current())}/requests`,
      {participant: f.get("participant"), priority: Number(f.get("priority"))});
    await render();
  } catch (e) { showError(e); }
});

$("#breakout").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const path = `/conferences/${encodeURIComponent(current())}/breakouts`;
  try {
    if (breakoutOn) await api("DELETE", path);
    else await api("POST", path, {rooms: Number(f.get("rooms")),
      duration_s: Math.round(Number(f.get("minutes") || 0) * 60)});
    await render();
  } catch (e) { showError(e); }
});

$("#rec-toggle").addEventListener("click", async () => {
  const path = `/conferences/${encodeURIComponent(current())}/recordings`;
  const fmt = $("#rec-format").value;
  try {
    if (recOn) await api("POST", `${path}/${encodeURIComponent(recOn.id)}/stop`);
    else await api("POST", path, fmt ? {format: fmt} : {});
    await render();
  } catch (e) { showError(e); }
});

// A recording's file needs the token, which a plain link cannot send:
// fetched here and handed to the browser as a download
document.addEventListener("click", async (ev) => {
  const a = ev.target.closest("a[data-download]");
  if (!a) return;
  ev.preventDefault();
  try {
    const headers = token() ? {Authorization: "Bearer " + token()} : {};
    const r = await fetch(a.href, {headers});
    if (!r.ok) {
      const j = await r.json().catch(() => ({}));
      throw new Error(`${j.error || r.status}${j.detail ? ": " + j.detail : ""}`);
    }
    const url = URL.createObjectURL(await r.blob());
    const save = document.createElement("a");
    save.href = url;
    save.download = `${current()}-${a.dataset.download}`;
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (e) { showError(e); }
});

$("#announce-kind").addEventListener("change", (ev) => {
  const prompt = ev.target.value === "prompt";
  $("#announce-what").placeholder = prompt ? "a prompt's name, e.g. welcome" : "words to say";
  $("#announce-what").maxLength = prompt ? 63 : 255;
});

$("#announce").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const body = {[f.get("kind")]: f.get("what")};
  if (f.get("to")) body.to = f.get("to");
  const sel = $("#announce-to");
  try {
    const r = await api("POST", `/conferences/${encodeURIComponent(current())}/announcements`, body);
    $("#announce-msg").textContent = `announcement ${r.id} queued` +
      (body.to ? ` ${sel.options[sel.selectedIndex].text}` : "");
    $("#announce-what").value = "";
  } catch (e) { $("#announce-msg").textContent = e.message; }
});

$("#create").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target), body = {};
  for (const [k, v] of f) if (v) body[k] = v;
  try { await api("POST", "/conferences", body); ev.target.reset(); await render(); }
  catch (e) { showError(e); }
});

for (const [sel, kind] of [["#audio", "audio"], ["#video-status", "video"]]) {
  $(sel).addEventListener("change", async (ev) => {
    try {
      await api("PATCH", "/conferences/" + encodeURIComponent(current()),
        {media: mediaWith(kind, ev.target.value)});
      await render();
    } catch (e) { showError(e); }
  });
}

$("#video-box").addEventListener("change", () => { videoEdited = true; });
$("#video-box").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target.elements;
  try {
    await api("PATCH", `/conferences/${encodeURIComponent(current())}/video`,
      {mode: f.mode.value, layout: f.layout.value, camera_control: f.camera_control.value});
    $("#video-msg").textContent = "saved";
    videoEdited = false;
    $("#video-save").blur();
    await render();
  } catch (e) { $("#video-msg").textContent = e.message; }
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
// (eventWs: the stream open or opening; a closed one is tried again in 2 s,
// and at once when the user signs in: it may have been refused for want
// of the token, and one opened before carries the old token's view)
let eventWs = null, followRetry = null;
function follow() {
  if (followRetry) { clearTimeout(followRetry); followRetry = null; }
  if (eventWs) { eventWs.onclose = null; eventWs.close(); eventWs = null; }
  const q = token() ? "?token=" + encodeURIComponent(token()) : "";
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/events${q}`);
  eventWs = ws;
  ws.onopen = () => { $("#live").textContent = "live"; $("#live").className = "live on"; };
  ws.onmessage = (m) => {
    let ev = {};
    try { ev = JSON.parse(m.data); } catch (e) { return; }
    if (ev.type === "conference-info") keepDoc(ev);
    if (ev.type === "conference-destroyed") delete docs[ev.conference];
    const id = current();
    if (!id || ev.conference === id) soon();
  };
  ws.onclose = () => {
    if (eventWs !== ws) return;
    eventWs = null;
    $("#live").textContent = "reconnecting"; $("#live").className = "live";
    followRetry = setTimeout(follow, 2000);
  };
}

$("#login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  localStorage.setItem("caucus-token", new FormData(ev.target).get("token"));
  ev.target.reset();
  showLogin(false);
  follow();                      // the event stream with this token
  if (levelWs) { levelWs.onclose = null; levelWs.close(); levelWs = null; }
  await whoami();
  await render();
});

window.addEventListener("hashchange", () => { videoEdited = false; render(); });
$("#server").textContent = location.host;
whoami().then(render);
follow();
setInterval(render, 10000);    // a safety net, not the source of updates
