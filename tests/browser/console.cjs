// The web console in a real browser (Debian's chromium through
// playwright-core): create a conference, watch a SIP participant appear
// live (the websocket, not the 10 s poll), mute it and see the change in
// the page and the API, send a message; lower a raised hand, make
// announcements, record the conference and download the recording, let a
// caller in from the PIN lobby; make a sidebar and move a caller into it,
// give the floor, set a whisper, start and end breakouts; floor control
// on from its form, two callers queued by priority, one granted (a second
// grant refused), the other denied, the floor revoked, floor control
// off; a caller with video (sipp offering VP8 and H.224 camera control):
// its codec and what it sees, on screen by the event stream's document,
// pinned and unpinned from its row, its camera steered, the conference's
// video settings changed from their form (read only for a participant);
// with TOKEN, sign in first (a wrong token
// is refused); screenshots at each step.
//   CAUCUS_URL=http://127.0.0.1:PORT SHOTS=dir SIPP_CMD='sipp ...' node console.cjs
// (SIPP_VIDEO_CMD: the video caller's sipp; by default SIPP_CMD made
// into one: the video scenario, the name vic, ports of its own)
"use strict";
const { chromium } = require("playwright-core");
const { spawn, execFileSync } = require("child_process");
const fs = require("fs");
const http = require("http");
const path = require("path");

const base = process.env.CAUCUS_URL;
const shots = process.env.SHOTS;
const step = (s) => console.log(`[console] ${s}`);

function getJSON(path) {
  return new Promise((resolve, reject) => {
    const headers = process.env.TOKEN ? { Authorization: "Bearer " + process.env.TOKEN } : {};
    http.get(base + path, { headers }, (res) => {
      let d = "";
      res.on("data", (c) => (d += c));
      res.on("end", () => { try { resolve(JSON.parse(d)); } catch (e) { reject(e); } });
    }).on("error", reject);
  });
}

function send(method, path, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(base + path, {
      method, headers: { Authorization: "Bearer " + process.env.TOKEN,
        "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) },
    }, (res) => {
      let d = "";
      res.on("data", (c) => (d += c));
      res.on("end", () => resolve({ status: res.statusCode, body: d ? JSON.parse(d) : null }));
    });
    req.on("error", reject);
    req.end(data);
  });
}

// cmd (a sipp command line) with its -p and -mp on ports free now
// (scripts/ports.sh): the test script picked them at its start, and a
// caller started half a minute later must not find one taken meanwhile
// by a test running beside this one
function freshPorts(cmd) {
  const ports = execFileSync("bash", ["-c", '. "$1"; free_port; free_media_port', "-",
    path.join(__dirname, "..", "..", "scripts", "ports.sh")]).toString().trim().split(/\s+/);
  return cmd.replace(/ -p \d+/, ` -p ${ports[0]}`).replace(/ -mp \d+/, ` -mp ${ports[1]}`);
}

// The video caller's sipp: SIPP_VIDEO_CMD, else SIPP_CMD with the video
// scenario (uac_video_fecc.xml, beside uac_wait_bye.xml), as vic, on free
// ports
function videoCmd() {
  if (process.env.SIPP_VIDEO_CMD) return process.env.SIPP_VIDEO_CMD;
  const fecc = execFileSync("bash", ["-c", '. "$1"; free_port', "-",
    path.join(__dirname, "..", "..", "scripts", "ports.sh")]).toString().trim();
  return freshPorts(process.env.SIPP_CMD.replace("uac_wait_bye.xml", "uac_video_fecc.xml")
    .replace(/-key who \S+/, `-key who vic -key fecc_port ${fecc}`)
    .replace(/\/zoe\.out/, "/vic.out"));
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  let sipp = null, sipp2 = null, sipp3 = null, talker = null, vic = null;
  try {
    await page.goto(base + "/");
    if (process.env.TOKEN) {
      /* the server asks for its token: the page shows the sign-in */
      await page.waitForSelector("#login:not([hidden])", { timeout: 5000 });
      await page.screenshot({ path: `${shots}/0-sign-in.png` });
      await page.fill("#login input[name=token]", "not the token");
      await page.click("#login button");
      await page.waitForSelector("#login:not([hidden])", { timeout: 5000 });
      await page.fill("#login input[name=token]", process.env.TOKEN);
      await page.click("#login button");
      await page.waitForSelector("#login", { state: "hidden", timeout: 5000 });
      step("signed in with the API token (a wrong one was refused)");
    }
    await page.waitForSelector("#live.on", { timeout: 5000 });
    step("the event stream is live");

    await page.fill("#create input[name=id]", "standup");
    await page.fill("#create input[name=display_text]", "Daily standup");
    await page.click("#create button");
    await page.waitForSelector("#confs a:has-text('Daily standup')", { timeout: 5000 });
    await page.screenshot({ path: `${shots}/1-list.png` });
    step("created 'standup' from the page");

    await page.click("#confs a:has-text('Daily standup')");
    await page.waitForSelector("#parts td:has-text('Nobody here yet')", { timeout: 5000 });

    const t0 = Date.now();
    sipp = spawn("sh", ["-c", freshPorts(process.env.SIPP_CMD)], { stdio: "ignore" });
    await page.waitForSelector("#parts .status.connected", { timeout: 5000 });
    const ms = Date.now() - t0;
    step(`the SIP participant appeared after ${ms} ms`);
    if (ms > 4000) throw new Error(`too slow for the event stream: ${ms} ms`);
    await page.screenshot({ path: `${shots}/2-joined.png` });

    await page.click("#parts button[data-toggle=muted]");
    await page.waitForSelector("#parts button[data-toggle=muted].on", { timeout: 5000 });
    const { participants } = await getJSON("/v1/conferences/standup/participants");
    if (!participants.length || participants[0].muted !== true)
      throw new Error("the API does not show the participant muted");
    step("muted from the page; the API agrees");
    await page.screenshot({ path: `${shots}/3-muted.png` });

    await page.selectOption("#mix-rate", "48000");
    for (let i = 0; i < 50; i++) {
      if ((await getJSON("/v1/conferences/standup")).mix_rate === 48000) break;
      await page.waitForTimeout(100);
    }
    if ((await getJSON("/v1/conferences/standup")).mix_rate !== 48000)
      throw new Error("the API does not show the conference at 48 kHz");
    step("mix rate set to fullband from the page; the API agrees");

    await page.fill("#say input[name=text]", "standup starts now");
    await page.click("#say button");
    await page.waitForSelector("#msgs li:has-text('standup starts now')", { timeout: 5000 });
    step("message sent from the page");
    await page.screenshot({ path: `${shots}/4-message.png` });

    /* the policy: a bad document is refused with the field named, a good
     * one saved (If-Match) and seen by the API */
    await page.click("#policy-box summary");
    await page.waitForFunction(() => document.querySelector("#policy").value.includes("default_action"));
    await page.fill("#policy", '{"max_participants": "many"}');
    await page.click("#policy-save");
    await page.waitForSelector("#policy-msg:has-text('max_participants')", { timeout: 5000 });
    await page.fill("#policy", '{"max_participants": 12, "locked": false}');
    await page.click("#policy-save");
    await page.waitForSelector("#policy-msg:has-text('saved')", { timeout: 5000 });
    const pol = await getJSON("/v1/conferences/standup/policy");
    if (pol.max_participants !== 12) throw new Error("the API does not show the saved policy");
    step("policy edited in the page (a bad one refused, naming the field)");
    await page.screenshot({ path: `${shots}/5-policy.png` });

    /* a moderated join: it shows up waiting, and the page lets it in */
    await page.fill("#policy", '{"default_action": "moderate"}');
    await page.click("#policy-save");
    await page.waitForSelector("#policy-msg:has-text('saved')", { timeout: 5000 });
    sipp2 = spawn("sh", ["-c", freshPorts(process.env.SIPP_CMD2)], { stdio: "ignore" });
    await page.waitForSelector("#waiting:not([hidden]) td:has-text('sip:yan@example.com')", { timeout: 5000 });
    await page.screenshot({ path: `${shots}/6-waiting.png` });
    await page.click("#pend button[data-approve]");
    await page.waitForSelector("#waiting", { state: "hidden", timeout: 5000 });
    const after = await getJSON("/v1/conferences/standup/participants");
    const yan = after.participants.find((p) => p.uri === "sip:yan@example.com");
    if (!yan || yan.pending || yan.muted) throw new Error("yan was not let in");
    step("a moderated join waited and was let in from the page");
    await page.screenshot({ path: `${shots}/7-let-in.png` });

    /* a caller who talks gets the talking indicator */
    talker = spawn("sh", ["-c", "exec " + process.env.BARESIP_CMD], { stdio: "ignore" });
    await page.waitForSelector("#waiting:not([hidden]) td:has-text('sip:tom@127.0.0.1')", { timeout: 8000 });
    await page.click("#pend button[data-approve]");
    await page.waitForSelector("#parts tr.is-talking td:has-text('tom')", { timeout: 8000 });
    step("a caller sending a tone shows as talking");
    await page.screenshot({ path: `${shots}/7b-talking.png` });

    /* a raised hand (the caller's keypad; here the API) shows, and the
     * page lowers it */
    const zoe = (await getJSON("/v1/conferences/standup/participants")).participants
      .find((p) => p.uri === "sip:zoe@example.com");
    const up = await send("PATCH", `/v1/conferences/standup/participants/${zoe.id}`, { hand_raised: true });
    if (up.status !== 200) throw new Error("cannot raise zoe's hand: " + up.status);
    await page.waitForSelector("#parts tr.hand-up:has-text('zoe') .hand", { timeout: 5000 });
    await page.screenshot({ path: `${shots}/7c-hand.png` });
    await page.click("#parts tr.hand-up button[data-toggle=hand_raised]");
    await page.waitForSelector("#parts .hand", { state: "detached", timeout: 5000 });
    const lowered = (await getJSON("/v1/conferences/standup/participants")).participants
      .find((p) => p.id === zoe.id);
    if (lowered.hand_raised !== false) throw new Error("the API does not show zoe's hand lowered");
    step("a raised hand shows in the page, and the page lowers it");

    /* announcements: words to everyone, a prompt to one participant, an
     * unknown prompt refused */
    await page.fill("#announce-what", "the standup starts now");
    await page.click("#announce button");
    await page.waitForSelector("#announce-msg:has-text('queued')", { timeout: 5000 });
    await page.selectOption("#announce-kind", "prompt");
    await page.selectOption("#announce-to", zoe.id);
    await page.fill("#announce-what", "no-such-prompt");
    await page.click("#announce button");
    await page.waitForSelector("#announce-msg:has-text('no such prompt')", { timeout: 5000 });
    await page.fill("#announce-what", "welcome");
    await page.click("#announce button");
    await page.waitForSelector("#announce-msg:has-text('queued to zoe only')", { timeout: 5000 });
    step("announcements from the page: words to everyone, a prompt to zoe (an unknown one refused)");
    await page.screenshot({ path: `${shots}/7d-announce.png` });

    /* a recording: started from the page, its time counts, stopped, listed
     * (the stop arrives by the event stream) and downloaded as Ogg Opus */
    await page.selectOption("#rec-format", "ogg");
    await page.click("#rec-toggle");
    await page.waitForSelector("#rec-toggle:has-text('Stop recording')", { timeout: 5000 });
    await page.waitForSelector("#recs .status.rec-recording", { timeout: 5000 });
    const recs = (await getJSON("/v1/conferences/standup/recordings")).recordings;
    if (!recs.length || recs[0].state !== "recording" || recs[0].format !== "ogg")
      throw new Error("the API does not show the recording on: " + JSON.stringify(recs));
    await page.waitForSelector("#rec-state:has-text('recording 0:01')", { timeout: 5000 });
    await page.screenshot({ path: `${shots}/7e-recording.png` });
    await page.click("#rec-toggle");
    await page.waitForSelector(`#recs tr[data-rid='${recs[0].id}'] .status.rec-stopped`, { timeout: 8000 });
    await page.waitForSelector("#rec-toggle:has-text('Start recording')", { timeout: 5000 });
    const [dl] = await Promise.all([
      page.waitForEvent("download", { timeout: 5000 }),
      page.click(`#recs tr[data-rid='${recs[0].id}'] a[data-download]`),
    ]);
    const head = fs.readFileSync(await dl.path()).subarray(0, 4).toString("latin1");
    if (head !== "OggS") throw new Error(`the download is not Ogg: ${JSON.stringify(head)}`);
    if (!dl.suggestedFilename().endsWith(".ogg"))
      throw new Error("the download is named " + dl.suggestedFilename());
    step(`recorded from the page, stopped, downloaded ${dl.suggestedFilename()} (Ogg)`);
    await page.screenshot({ path: `${shots}/7f-recorded.png` });

    /* the PIN lobby: a caller keying the PIN shows as such, and the page
     * lets it in without the PIN */
    const pin = await send("PATCH", "/v1/conferences/standup/policy",
      { default_action: "allow", pin: "4321" });
    if (pin.status !== 200) throw new Error("cannot set a PIN: " + pin.status);
    sipp3 = spawn("sh", ["-c", freshPorts(process.env.SIPP_CMD3)], { stdio: "ignore" });
    await page.waitForSelector("#pend tr.lobby td:has-text('sip:lia@example.com')", { timeout: 5000 });
    await page.waitForSelector("#parts .status.lobby", { timeout: 5000 });
    await page.screenshot({ path: `${shots}/7g-lobby.png` });
    await page.click("#pend tr.lobby button[data-approve]");
    await page.waitForSelector("#waiting", { state: "hidden", timeout: 5000 });
    const lia = (await getJSON("/v1/conferences/standup/participants")).participants
      .find((p) => p.uri === "sip:lia@example.com");
    if (!lia || lia.lobby || lia.status !== "connected") throw new Error("lia was not let in");
    step("a caller in the PIN lobby was let in from the page");

    /* sidebars: one made from the page, zoe moved into it with her row's
     * room selector and shown as its member; the floor and a whisper from
     * her row; breakouts started and ended; the sidebar ended, zoe back */
    await page.waitForSelector("#sidebars-box:not([hidden])", { timeout: 5000 });
    await page.fill("#sidebar-add input[name=display_text]", "Huddle");
    await page.click("#sidebar-add button");
    await page.waitForSelector("#sidebars td:has-text('Huddle')", { timeout: 5000 });
    const huddle = (await getJSON("/v1/conferences/standup/sidebars")).sidebars
      .find((x) => x.display_text === "Huddle");
    if (!huddle) throw new Error("the API does not show the sidebar made in the page");
    await page.selectOption(`#parts select[data-move='${zoe.id}']`, huddle.id);
    await page.waitForSelector(`#sidebars tr[data-sid='${huddle.id}'] .members:has-text('zoe')`,
      { timeout: 5000 });
    await page.waitForSelector("#parts tr:has-text('zoe') .status.sidebar:has-text('Huddle')",
      { timeout: 5000 });
    const moved = await getJSON(`/v1/conferences/standup/participants/${zoe.id}`);
    if (moved.sidebar !== huddle.id) throw new Error("the API does not show zoe in the sidebar");
    step("a sidebar made from the page, zoe moved into it with the room selector");
    await page.click(`#parts button[data-toggle=floor][data-pid='${zoe.id}']`);
    await page.waitForSelector("#parts tr:has-text('zoe') .status.floor", { timeout: 5000 });
    if ((await getJSON(`/v1/conferences/standup/participants/${zoe.id}`)).floor !== true)
      throw new Error("the API does not show zoe's floor");
    await page.selectOption(`#parts select[data-whisper='${zoe.id}']`, lia.id);
    await page.waitForSelector("#parts tr:has-text('zoe') .whispers:has-text('lia')", { timeout: 5000 });
    const whisper = (await getJSON(`/v1/conferences/standup/participants/${zoe.id}`)).whisper;
    if (!whisper || whisper.to !== lia.id) throw new Error("the API does not show zoe's whisper");
    await page.screenshot({ path: `${shots}/7h-sidebar.png` });
    await page.selectOption(`#parts select[data-whisper='${zoe.id}']`, "");
    await page.waitForSelector("#parts .whispers", { state: "detached", timeout: 5000 });
    await page.click(`#parts button[data-toggle=floor][data-pid='${zoe.id}']`);
    await page.waitForSelector("#parts .status.floor", { state: "detached", timeout: 5000 });
    step("the floor given and a whisper set from zoe's row, then both undone");
    await page.fill("#breakout input[name=rooms]", "2");
    await page.fill("#breakout input[name=minutes]", "5");
    await page.click("#breakout-toggle");
    await page.waitForSelector("#breakout-toggle:has-text('End breakouts')", { timeout: 5000 });
    await page.waitForSelector("#sidebars td:has-text('Breakout 2')", { timeout: 5000 });
    const bo = await getJSON("/v1/conferences/standup/breakouts");
    if (!bo.active || bo.rooms.length !== 2 || !bo.rooms[0].ends_at)
      throw new Error("the API does not show two timed breakout rooms: " + JSON.stringify(bo));
    await page.screenshot({ path: `${shots}/7i-breakouts.png` });
    await page.click("#breakout-toggle");
    await page.waitForSelector("#breakout-toggle:has-text('Start breakouts')", { timeout: 5000 });
    if ((await getJSON("/v1/conferences/standup/breakouts")).active)
      throw new Error("the breakouts did not end");
    step("breakouts started (2 rooms, 5 minutes) and ended from the page");
    await page.click(`#sidebars button[data-sidebar-rm='${huddle.id}']`);
    await page.waitForSelector("#sidebars td:has-text('Huddle')", { state: "detached", timeout: 5000 });
    const back = await getJSON(`/v1/conferences/standup/participants/${zoe.id}`);
    if (back.sidebar !== null) throw new Error("zoe is not back in the main room");
    step("the sidebar ended from the page; zoe is back in the main room");

    /* floor control: on from its form, zoe and lia queued from the panel
     * (lia, at the highest priority, ahead), zoe granted (her row shows
     * the floor), a second holder refused, lia denied, zoe's floor
     * revoked, and floor control off again */
    const floor = () => getJSON("/v1/conferences/standup/floors/1");
    await page.waitForSelector("#floor-box:not([hidden])", { timeout: 5000 });
    await page.check("#floor-policy input[name=enabled]");
    await page.selectOption("#floor-policy select[name=mode]", "chair");
    await page.fill("#floor-policy input[name=max_holders]", "1");
    await page.click("#floor-policy button");
    await page.waitForSelector("#floor-msg:has-text('saved')", { timeout: 5000 });
    const fon = await floor();
    if (!fon.policy.enabled || fon.policy.mode !== "chair" || fon.policy.max_holders !== 1)
      throw new Error("the API does not show floor control on: " + JSON.stringify(fon.policy));
    await page.waitForSelector("#floor-ask:not([hidden])", { timeout: 5000 });
    await page.selectOption("#floor-ask select[name=participant]", zoe.id);
    await page.click("#floor-ask button");
    await page.waitForSelector("#floor-queue td:has-text('zoe')", { timeout: 5000 });
    await page.selectOption("#floor-ask select[name=participant]", lia.id);
    await page.selectOption("#floor-ask select[name=priority]", "4");
    await page.click("#floor-ask button");
    await page.waitForSelector("#floor-queue tr:has-text('lia') .status.floor-pending", { timeout: 5000 });
    const queue = (await floor()).queue;
    if (queue.length !== 2 || queue[0].participant !== lia.id || queue[1].participant !== zoe.id)
      throw new Error("the queue is not by priority: " + JSON.stringify(queue));
    const [lr, zr] = [queue[0].id, queue[1].id];
    step("floor control on from the page; zoe and lia queued, lia (highest) first");
    await page.click(`#floor-queue button[data-floor-act=grant][data-rid='${zr}']`);
    await page.waitForSelector("#floor-holders td:has-text('zoe')", { timeout: 5000 });
    await page.waitForSelector("#parts tr:has-text('zoe') .status.floor", { timeout: 5000 });
    if ((await getJSON(`/v1/conferences/standup/participants/${zoe.id}`)).floor !== true)
      throw new Error("the API does not show zoe holding the floor");
    await page.screenshot({ path: `${shots}/7j-floor.png` });
    await page.click(`#floor-queue button[data-floor-act=grant][data-rid='${lr}']`);
    await page.waitForSelector("#error:has-text('max_holders')", { timeout: 5000 });
    await page.click(`#floor-queue button[data-floor-act=deny][data-rid='${lr}']`);
    await page.waitForSelector("#floor-queue td:has-text('Nobody waits')", { timeout: 5000 });
    await page.click(`#floor-holders button[data-floor-act=revoke][data-rid='${zr}']`);
    await page.waitForSelector("#floor-holders td:has-text('Nobody holds')", { timeout: 5000 });
    await page.waitForSelector("#parts .status.floor", { state: "detached", timeout: 5000 });
    const foff = await floor();
    if (foff.holders.length || foff.queue.length)
      throw new Error("requests left after deny and revoke: " + JSON.stringify(foff));
    await page.uncheck("#floor-policy input[name=enabled]");
    await page.click("#floor-policy button");
    await page.waitForSelector("#floor-holders td:has-text('Floor control is off')", { timeout: 5000 });
    if ((await floor()).policy.enabled) throw new Error("floor control is still on");
    step("zoe granted the floor from the panel (a second holder refused), lia denied, zoe's floor revoked, floor control off");

    /* video: a caller sending VP8 with camera control shows its codec and
     * what it sees, and is on screen (the document's video-speaker, from
     * the event stream); its row pins and unpins it and steers its
     * camera; the video form changes the conference's settings */
    const nopin = await send("PATCH", "/v1/conferences/standup/policy", { pin: "" });
    if (nopin.status !== 200) throw new Error("cannot take the PIN away: " + nopin.status);
    vic = spawn("sh", ["-c", videoCmd()], { stdio: "ignore" });
    const vicRow = "#parts tr:has-text('vic@example.com')";
    await page.waitForSelector(`${vicRow} .video-info:has-text('VP8')`, { timeout: 8000 });
    await page.waitForSelector(`${vicRow} .status.on-screen`, { timeout: 5000 });
    await page.waitForSelector("#video-box:not([hidden])", { timeout: 5000 });
    const vicp = (await getJSON("/v1/conferences/standup/participants")).participants
      .find((p) => p.uri === "sip:vic@example.com");
    if (!vicp || !vicp.video || vicp.video.codec !== "VP8")
      throw new Error("the API does not show vic's video: " + JSON.stringify(vicp));
    step("a caller with video shows its codec and what it sees, on screen");
    await page.screenshot({ path: `${shots}/7k-video.png`, fullPage: true });
    await page.click(`${vicRow} button[data-pin]`);
    await page.waitForSelector(`${vicRow} .status.pinned`, { timeout: 5000 });
    if ((await getJSON("/v1/conferences/standup/video")).pinned !== vicp.id)
      throw new Error("the API does not show vic pinned");
    await page.click(`${vicRow} button[data-pin]:has-text('Unpin')`);
    await page.waitForSelector(`${vicRow} .status.pinned`, { state: "detached", timeout: 5000 });
    if ((await getJSON("/v1/conferences/standup/video")).pinned !== null)
      throw new Error("the API still shows vic pinned");
    step("vic pinned and unpinned from its row");
    const [cam] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/participants/${vicp.id}/camera`), { timeout: 5000 }),
      page.click(`${vicRow} button[data-camera=zoom_in]`),
    ]);
    if (cam.status() !== 204) throw new Error("steering vic's camera answered " + cam.status());
    step("vic's camera zoomed from its row");
    await page.selectOption("#video-box select[name=mode]", "composed");
    await page.selectOption("#video-box select[name=layout]", "3x3");
    await page.selectOption("#video-box select[name=camera_control]", "participants");
    await page.click("#video-save");
    await page.waitForSelector("#video-msg:has-text('saved')", { timeout: 5000 });
    const vset = await getJSON("/v1/conferences/standup/video");
    if (vset.mode !== "composed" || vset.layout !== "3x3" || vset.camera_control !== "participants")
      throw new Error("the API does not show the video settings saved: " + JSON.stringify(vset));
    await page.waitForSelector("#video-state:has-text('several at once (3x3)')", { timeout: 5000 });
    step("the video settings changed from their form");
    await page.screenshot({ path: `${shots}/7l-video-settings.png`, fullPage: true });

    /* a user's own token: yan is anonymous by the policy; the moderator
     * (admin) page says so, the participant's page shows "Anonymous",
     * no dial-out, no waiting list, no Remove for others */
    const u = await send("POST", "/v1/users", { name: "uma", password: "uma-password" });
    if (u.status !== 201) throw new Error("cannot create uma: " + u.status);
    const anon = await send("PATCH", "/v1/conferences/standup/policy",
      { users: [{ aor: "sip:yan@example.com", anonymous: true }] });
    if (anon.status !== 200) throw new Error("cannot make yan anonymous: " + anon.status);
    await page.waitForSelector("#parts td:has-text('anonymous to others')", { timeout: 5000 });
    await page.screenshot({ path: `${shots}/8-admin-sees-anonymous.png` });
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const upage = await ctx.newPage();
    upage.on("pageerror", (e) => errors.push(e.message));
    await upage.goto(base + "/#standup");
    await upage.waitForSelector("#login:not([hidden])", { timeout: 5000 });
    await upage.fill("#login input[name=token]", u.body.token);
    await upage.click("#login button");
    await upage.waitForSelector("#who:has-text('sip:uma@')", { timeout: 5000 });
    await upage.waitForSelector("#parts td:has-text('Anonymous')", { timeout: 5000 });
    const seen = await upage.textContent("#parts");
    if (seen.includes("sip:yan@example.com")) throw new Error("a participant sees who yan is");
    if (await upage.isVisible("#dial")) throw new Error("a participant is offered dial-out");
    if (await upage.isVisible("#apps"))
      throw new Error("a participant is offered recordings and announcements");
    if (await upage.isVisible("#sidebars-box") || await upage.isVisible("#floor-box") ||
        await upage.locator("#parts select[data-move], #parts button[data-toggle=floor]").count())
      throw new Error("a participant is offered the sidebars, the floor, floor control or whispers");
    if (await upage.locator("#parts button[data-kick]").count())
      throw new Error("a participant is offered Remove for others");
    /* the video's settings shown, not changed; no pins; no camera to
     * steer from outside the call */
    await upage.waitForSelector("#video-box:not([hidden]) select[name=mode]:disabled", { timeout: 5000 });
    if (await upage.isVisible("#video-save") ||
        await upage.locator("#parts button[data-pin], #parts button[data-camera]").count())
      throw new Error("a participant is offered the video's settings, pins or cameras");
    await upage.waitForSelector("#live.on", { timeout: 6000 });
    step("a participant's token: yan shows as Anonymous, no moderator controls, live stream");
    await upage.screenshot({ path: `${shots}/9-participant-view.png` });
    await ctx.close();

    if (errors.length) throw new Error("page errors: " + errors.join("; "));
    step("PASS");
  } catch (e) {
    await page.screenshot({ path: `${shots}/failure.png` }).catch(() => {});
    console.error(`[console] FAIL: ${e.message}`);
    process.exitCode = 1;
  } finally {
    if (sipp) sipp.kill();
    if (sipp2) sipp2.kill();
    if (sipp3) sipp3.kill();
    if (talker) talker.kill();
    if (vic) vic.kill();
    await browser.close();
  }
})();
