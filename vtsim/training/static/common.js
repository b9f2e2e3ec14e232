// Shared by the trainee console and the trainer's view: labels (bokmål), clock, queue, detail.
// Every text from the server goes into the page with textContent (or an SVG text node), never
// as markup, so names, notes and ids cannot run as code.
"use strict";

const EVENT_NB = {
  button_need: "Trygghetsalarm: trenger hjelp", button_accidental: "Trygghetsalarm: utløst ved feil",
  button_information: "Trygghetsalarm: ønsker informasjon", fall_detected: "Fall oppdaget",
  battery_low: "Lavt batteri", connection_lost: "Forbindelse tapt", geofence_exit: "Forlatt sone (GPS)",
  sos: "SOS (GPS)", door_open_too_long: "Dør åpen for lenge", jammed: "Dispenser har låst seg",
  night_door_opened: "Dør åpnet om natten", dose_missed: "Glemt dose", empty: "Dispenser tom",
  refill_due: "Påfyll trengs", bed_exit_no_return: "Ute av seng, ikke tilbake", fall: "Fall (nattilsyn)",
};
const OUTCOME_NB = {
  resolved_remotely: "løst på telefon", relatives_called: "pårørende kontaktet",
  home_visit: "hjemmebesøk", technical_followup: "teknisk oppfølging",
  emergency_services: "nødetatene (113)",
};
const PHASE_NB = { waiting: "venter", taken: "tatt", closed: "lukket" };
const SESSION_NB = { waiting: "venter", running: "går", paused: "pause", ended: "slutt", stopped: "stoppet" };
const HISTORY_NB = {
  opened: "mottatt", take: "tok hendelsen", call: "ringte brukeren", call_relative: "ringte pårørende",
  call_emergency: "ringte 113", choose_outcome: "valgte utfall", dispatch_visit: "sendte hjemmebesøk",
  note: "notat", close: "lukket", logout: "logget ut", login: "logget inn",
};
const PRIORITY_NB = { 1: "Akutt", 2: "Haster", 3: "Normal", 4: "Lav", 5: "Info" };

let state = { session: null, incidents: [], results: [] };
let selected = null;
let lastVersion = -1;
const known = new Set();

const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function clockText(seconds) {
  const s = ((Math.floor(seconds) % 86400) + 86400) % 86400;
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

function waitText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return s < 3600 ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}` : `${Math.floor(s / 3600)} t ${Math.floor((s % 3600) / 60)} min`;
}

function scenarioNow() {
  const s = state.session;
  if (!s) return null;
  if (s.phase !== "running" && s.phase !== "ended") return s.scenario_at;
  return s.scenario_at + (Date.now() / 1000 - Date.parse(s.ts) / 1000) * s.speed;
}

function waited(i, now) {
  const end = i.phase === "waiting" ? now : (i.taken_at ?? i.closed_at ?? now);
  return end - i.opened_at;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    credentials: "same-origin",
  });
  let answer = {};
  try { answer = await response.json(); } catch (e) { answer = { error: "ugyldig svar fra konsollen" }; }
  return { ok: response.ok, status: response.status, answer };
}

// --- alert sound (Web Audio, no file), mutable ----------------------------------------------
let audio = null;
function muted() { return localStorage.getItem("vtsim-muted") === "1"; }
function renderMute() {
  const button = $("mute");
  if (button) button.textContent = muted() ? "Lyd: av" : "Lyd: på";
}
function toggleMute() { localStorage.setItem("vtsim-muted", muted() ? "0" : "1"); renderMute(); }
function beep(priority) {
  if (muted()) return;
  try {
    audio = audio || new AudioContext();
    const tones = priority <= 1 ? [880, 660, 880] : priority === 2 ? [660, 660] : [520];
    tones.forEach((hz, n) => {
      const osc = audio.createOscillator(); const gain = audio.createGain();
      osc.frequency.value = hz; gain.gain.value = 0.15;
      osc.connect(gain); gain.connect(audio.destination);
      const at = audio.currentTime + n * 0.22;
      osc.start(at); osc.stop(at + 0.16);
    });
  } catch (e) { /* no sound available */ }
}
function alertNew(incidents) {
  let urgent = 9;
  for (const i of incidents) {
    if (!known.has(i.incident_id)) {
      if (lastVersion >= 0 && i.phase === "waiting") urgent = Math.min(urgent, i.priority);
      known.add(i.incident_id);
    }
  }
  if (urgent < 9) beep(urgent);
}

// --- queue ---------------------------------------------------------------------------------
function rank(i) { return { waiting: 0, taken: 1, closed: 2 }[i.phase] ?? 3; }
function order(a, b) {
  return rank(a) - rank(b) || a.priority - b.priority || a.opened_at - b.opened_at;
}

function matches(i, filter, me) {
  if (filter.status === "open" && i.phase === "closed") return false;
  if (filter.status === "waiting" && i.phase !== "waiting") return false;
  if (filter.status === "mine" && i.taken_by !== me) return false;
  if (filter.priority && String(i.priority) !== filter.priority) return false;
  if (filter.text) {
    const hay = [i.incident_id, i.device_id, EVENT_NB[i.event] || i.event, i.resident ? i.resident.name : "",
      i.user ? i.user.zone : "", i.taken_by || ""].join(" ").toLowerCase();
    if (!hay.includes(filter.text.toLowerCase())) return false;
  }
  return true;
}

function currentFilter() {
  return { text: $("filter-text").value.trim(), priority: $("filter-priority").value,
           status: $("filter-status").value };
}

function renderQueue(me, extraColumns) {
  const body = $("incidents").querySelector("tbody");
  body.replaceChildren();
  const now = scenarioNow() ?? 0;
  const filter = currentFilter();
  const shown = state.incidents.filter((i) => matches(i, filter, me)).sort(order);
  for (const i of shown) {
    const row = el("tr", null, `incident p${i.priority} ${i.phase}` + (i.incident_id === selected ? " selected" : ""));
    row.dataset.incidentId = i.incident_id;
    row.dataset.phase = i.phase;
    const chip = el("td"); chip.appendChild(el("span", `${i.priority} ${PRIORITY_NB[i.priority] || ""}`, `chip p${i.priority}`));
    row.appendChild(chip);
    const status = i.phase === "waiting" ? PHASE_NB.waiting : `${PHASE_NB[i.phase] || i.phase} (${i.taken_by || i.closed_by || ""})`;
    const cells = [i.incident_id, waitText(waited(i, now)), clockText(i.opened_at), EVENT_NB[i.event] || i.event,
      i.resident ? i.resident.name : i.device_id, i.user ? i.user.zone : "", status, ...extraColumns(i)];
    cells.forEach((text, n) => {
      const cell = el("td", text);
      if (n === 1) { cell.className = "wait"; cell.dataset.opened = i.opened_at; }
      row.appendChild(cell);
    });
    row.onclick = () => { selected = i.incident_id; render(); };
    body.appendChild(row);
  }
  $("queue-count").textContent = `${shown.length} av ${state.incidents.length} vist · ` +
    `${state.incidents.filter((i) => i.phase === "waiting").length} venter`;
}

function tickWaits() {
  const now = scenarioNow();
  if (now === null) return;
  for (const cell of document.querySelectorAll("tr.waiting td.wait")) {
    cell.textContent = waitText(now - Number(cell.dataset.opened));
  }
}

function fact(list, term, value, className) {
  const dt = el("dt", term); const dd = el("dd", value, className);
  list.append(dt, dd);
}

function renderCard(i) {
  const card = $("card"); card.replaceChildren();
  const r = i.resident;
  if (!r) { card.appendChild(el("p", "Ingen bruker registrert på enheten.")); return; }
  card.appendChild(el("h3", `${r.name} (f. ${r.born})`));
  const facts = el("dl");
  fact(facts, "Adresse", r.address);
  fact(facts, "Telefon", r.phone);
  fact(facts, "Nøkkel", r.key_box);
  if (i.user) fact(facts, "Brukergruppe", `${i.user.profile} · utstyr: ${i.user.devices.join(", ")}`);
  card.appendChild(facts);
  if (r.important.length) {
    const box = el("div", null, "important");
    box.appendChild(el("strong", "Viktig informasjon"));
    const list = el("ul"); for (const text of r.important) list.appendChild(el("li", text));
    box.appendChild(list); card.appendChild(box);
  }
  card.appendChild(el("h4", "Pårørende (ringes i denne rekkefølgen)"));
  const contacts = el("ol", null, "contacts");
  for (const c of r.contacts) contacts.appendChild(el("li", `${c.name}, ${c.relation} – ${c.phone}`));
  card.appendChild(contacts);
  card.appendChild(el("h4", "Pleie og omsorg"));
  const notes = el("ul"); for (const text of r.care_notes) notes.appendChild(el("li", text));
  card.appendChild(notes);
  card.appendChild(el("p", "Syntetiske opplysninger laget for trening.", "synthetic"));
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function renderMap(i) {
  const holder = $("map"); holder.replaceChildren();
  const zones = (state.session && state.session.zones) || [];
  if (!i.position || !zones.length) return;
  const width = 360, height = 180;
  const map = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-label": "Skjematisk kart over sonene" });
  const strips = zones.length;
  zones.forEach((zone, n) => {
    const x = (n / strips) * width;
    map.appendChild(svg("rect", { x, y: 0, width: width / strips, height, class: zone === i.position.zone ? "zone here" : "zone" }));
    map.appendChild(svg("text", { x: x + 6, y: 16, class: "zone-name" }, zone));
  });
  const px = i.position.x * width, py = i.position.y * height;
  const gps = i.position.lat !== null && i.position.lat !== undefined;
  map.appendChild(svg("circle", { cx: px, cy: py, r: gps ? 9 : 7, class: gps ? "gps" : "home" }));
  map.appendChild(svg("text", { x: Math.min(px + 10, width - 70), y: py + 4, class: "pin" }, gps ? "GPS-posisjon" : "Hjemme"));
  holder.appendChild(map);
  holder.appendChild(el("p", gps ? `GPS: ${i.position.lat.toFixed(5)}, ${i.position.lon.toFixed(5)} · sone ${i.position.zone}` :
    `Hjemme i sone ${i.position.zone} (skjematisk kart, ikke i målestokk)`, "map-caption"));
}

function renderHistory(i) {
  const history = $("history"); history.replaceChildren();
  for (const h of i.history) {
    let detail = h.detail ? ` – ${OUTCOME_NB[h.detail] || h.detail}` : "";
    history.appendChild(el("li", `${clockText(h.at)} ${h.operator || "senteret"}: ${HISTORY_NB[h.kind] || h.kind}${detail}`));
  }
  const calls = $("calls"); calls.replaceChildren();
  for (const c of i.calls || []) {
    calls.appendChild(el("li", `${clockText(c.at)} ${c.to === "bruker" ? "Brukeren" : c.to}: ${c.text}`, c.answered ? "answered" : "unanswered"));
  }
  const previous = $("previous"); previous.replaceChildren();
  const kit = new Set(i.user ? i.user.devices : [i.device_id]);
  for (const p of state.incidents) {
    if (p.incident_id === i.incident_id || !kit.has(p.device_id)) continue;
    previous.appendChild(el("li", `${clockText(p.opened_at)} ${p.device_id}: ${EVENT_NB[p.event] || p.event}` +
      (p.outcome ? ` → ${OUTCOME_NB[p.outcome]}` : ` (${PHASE_NB[p.phase] || p.phase})`)));
  }
}

function renderFacts(i) {
  $("detail-title").textContent = `Hendelse ${i.incident_id}: ${EVENT_NB[i.event] || i.event}`;
  const facts = $("facts"); facts.replaceChildren();
  fact(facts, "Prioritet", `${i.priority} ${PRIORITY_NB[i.priority] || ""}`, `chip p${i.priority}`);
  fact(facts, "Enhet", `${i.device_id} (${i.device_type})`);
  fact(facts, "Mottatt", clockText(i.opened_at) + (i.messages > 1 ? ` (${i.messages} meldinger)` : ""));
  fact(facts, "Status", i.phase === "waiting" ? "venter" : `${PHASE_NB[i.phase] || i.phase} av ${i.taken_by || i.closed_by}`);
  if (i.outcome) fact(facts, "Utfall", OUTCOME_NB[i.outcome] || i.outcome);
  if (i.visit_at !== null && i.visit_at !== undefined) fact(facts, "Hjemmebesøk sendt", clockText(i.visit_at));
  $("call-result").textContent = i.call ? `Samtale: ${i.call.text}` : "";
}

function renderHeader() {
  const s = state.session;
  const banner = $("notice");
  let notice = state.notice || "";
  if (!notice && s && s.pause_reason) notice = s.pause_reason;
  if (!notice && s && s.phase === "stopped") notice = "Økten er stoppet. Takk for innsatsen!";
  if (!notice && s && s.phase === "paused") notice = "Økten står på pause.";
  banner.textContent = notice;
  banner.hidden = !notice;
  banner.dataset.kind = s ? s.phase : "";
  if (!s) return;
  $("scenario").textContent = s.scenario;
  $("phase").textContent = `${SESSION_NB[s.phase] || s.phase} · ${s.speed}×`;
  $("phase").dataset.phase = s.phase;
  document.body.dataset.phase = s.phase;
}

function tick() {
  const now = scenarioNow();
  if (now !== null) $("clock").textContent = clockText(now);
  tickWaits();
}

function follow(onState) {
  const events = new EventSource("/api/events");
  events.onmessage = (message) => {
    const next = JSON.parse(message.data);
    alertNew(next.incidents);
    state = next; lastVersion = next.version;
    $("link").hidden = true;
    onState();
    tick();
    if (next.session && next.session.phase === "stopped") events.close();  // stopped stays stopped
  };
  events.addEventListener("logout", () => { events.close(); location.reload(); });
  events.onerror = () => {
    $("link").hidden = false;
    $("link").textContent = "Forbindelsen til konsollen er brutt – prøver igjen …";
  };
  setInterval(tick, 250);
  return events;
}

for (const id of ["filter-text", "filter-priority", "filter-status"]) {
  const input = $(id);
  if (input) input.oninput = () => render();
}
if ($("mute")) { $("mute").onclick = toggleMute; renderMute(); }
