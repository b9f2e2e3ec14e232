// Operator console for training sessions: plain JavaScript, no build step.
// State arrives as server-sent events from /api/events; actions go to /api/action and travel
// over MQTT to the training centre, which answers on the results topic.
"use strict";

const EVENT_NB = {
  button_need: "Trygghetsalarm: trenger hjelp", button_accidental: "Trygghetsalarm: utløst ved feil",
  button_information: "Trygghetsalarm: ønsker informasjon", fall_detected: "Fall oppdaget",
  battery_low: "Lavt batteri", connection_lost: "Forbindelse tapt", geofence_exit: "Forlatt sone (GPS)",
  sos: "SOS (GPS)", door_open_too_long: "Dør åpen for lenge", jammed: "Låst seg / fastkjørt",
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

let state = { session: null, incidents: [], results: {} };
let selected = null;
let me = sessionStorage.getItem("vtsim-operator");

const $ = (id) => document.getElementById(id);

function clockText(seconds) {
  const s = Math.floor(seconds) % 86400;
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

function scenarioNow() {
  const s = state.session;
  if (!s) return null;
  if (s.phase !== "running" && s.phase !== "ended") return s.scenario_at;
  return s.scenario_at + (Date.now() / 1000 - Date.parse(s.ts) / 1000) * s.speed;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) $("message").textContent = answer.error;
  return answer;
}

function act(kind, extra = {}) {
  $("message").textContent = "";
  return post("/api/action", { operator: me, kind, incident_id: selected, ...extra });
}

function order(a, b) {
  const rank = { waiting: 0, taken: 1, closed: 2 };
  return rank[a.phase] - rank[b.phase] || a.priority - b.priority || a.opened_at - b.opened_at;
}

function renderQueue() {
  const body = $("incidents").querySelector("tbody");
  body.replaceChildren();
  for (const i of [...state.incidents].sort(order)) {
    const row = document.createElement("tr");
    row.className = `incident p${i.priority} ${i.phase}` + (i.incident_id === selected ? " selected" : "");
    row.dataset.incidentId = i.incident_id;
    row.dataset.phase = i.phase;
    const status = i.phase === "waiting" ? PHASE_NB.waiting : `${PHASE_NB[i.phase]} (${i.taken_by})`;
    for (const text of [i.priority, i.incident_id, clockText(i.opened_at), i.device_id,
                        EVENT_NB[i.event] || i.event, status]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.appendChild(cell);
    }
    row.onclick = () => { selected = i.incident_id; render(); };
    body.appendChild(row);
  }
  const ops = $("operators");
  ops.replaceChildren();
  for (const op of (state.session && state.session.operators) || []) {
    const item = document.createElement("li");
    item.textContent = `${op.name}${op.simulated ? " (simulert)" : ""}` +
      (op.incident_id ? ` – hendelse ${op.incident_id}` : " – ledig");
    ops.appendChild(item);
  }
}

function fact(list, term, value) {
  const dt = document.createElement("dt"); dt.textContent = term;
  const dd = document.createElement("dd"); dd.textContent = value;
  list.append(dt, dd);
}

function renderDetail() {
  const i = state.incidents.find((x) => x.incident_id === selected);
  $("detail-body").hidden = !i;
  if (!i) { $("detail-title").textContent = "Velg en hendelse"; return; }
  $("detail-title").textContent = `Hendelse ${i.incident_id}: ${EVENT_NB[i.event] || i.event}`;
  const facts = $("facts"); facts.replaceChildren();
  fact(facts, "Enhet", `${i.device_id} (${i.device_type})`);
  fact(facts, "Prioritet", i.priority);
  fact(facts, "Mottatt", clockText(i.opened_at) + (i.messages > 1 ? ` (${i.messages} meldinger)` : ""));
  if (i.user) {
    fact(facts, "Bruker", `nr. ${i.user.number}, ${i.user.profile}, sone ${i.user.zone}`);
    fact(facts, "Utstyr", i.user.devices.join(", "));
  }
  fact(facts, "Status", i.phase === "waiting" ? "venter" : `${PHASE_NB[i.phase]} av ${i.taken_by}`);
  if (i.outcome) fact(facts, "Utfall", OUTCOME_NB[i.outcome]);
  if (i.visit_at !== null) fact(facts, "Hjemmebesøk sendt", clockText(i.visit_at));
  $("call-result").textContent = i.call ? `Samtale: ${i.call.text}` : "";
  const mine = i.phase === "taken" && i.taken_by === me;
  $("take").disabled = i.phase !== "waiting";
  for (const id of ["call", "choose", "dispatch", "note", "close"]) $(id).disabled = !mine;
  const history = $("history"); history.replaceChildren();
  for (const h of i.history) {
    const item = document.createElement("li");
    item.textContent = `${clockText(h.at)} ${h.operator || "senter"}: ${h.kind}${h.detail ? " – " + h.detail : ""}`;
    history.appendChild(item);
  }
  const previous = $("previous"); previous.replaceChildren();
  const kit = new Set(i.user ? i.user.devices : [i.device_id]);
  for (const p of state.incidents) {
    if (p.incident_id === i.incident_id || !kit.has(p.device_id)) continue;
    const item = document.createElement("li");
    item.textContent = `${clockText(p.opened_at)} ${p.device_id}: ${EVENT_NB[p.event] || p.event}` +
      (p.outcome ? ` → ${OUTCOME_NB[p.outcome]}` : ` (${PHASE_NB[p.phase]})`);
    previous.appendChild(item);
  }
  const results = (state.results[me] || []);
  const last = results[results.length - 1];
  if (last && !last.accepted) $("message").textContent = `Avvist: ${last.reason}`;
}

function renderHeader() {
  const s = state.session;
  if (!s) return;
  $("scenario").textContent = s.scenario;
  $("phase").textContent = `${SESSION_NB[s.phase] || s.phase} · ${s.speed}×`;
  $("phase").dataset.phase = s.phase;
  $("who").textContent = me ? `Innlogget: ${me}` : "";
}

function render() { renderHeader(); renderQueue(); renderDetail(); }

function tick() {
  const now = scenarioNow();
  if (now !== null) $("clock").textContent = clockText(now);
}

function showWork() {
  $("login-box").hidden = !!me;
  $("work").hidden = !me;
}

$("login-form").onsubmit = async (event) => {
  event.preventDefault();
  me = $("name").value.trim();
  sessionStorage.setItem("vtsim-operator", me);
  await post("/api/action", { operator: me, kind: "login" });
  showWork(); render();
};
$("take").onclick = () => act("take");
$("call").onclick = () => act("call");
$("choose").onclick = () => act("choose_outcome", { outcome: $("outcome").value });
$("dispatch").onclick = () => act("dispatch_visit");
$("note").onclick = () => act("note", { text: $("note-text").value }).then(() => { $("note-text").value = ""; });
$("close").onclick = () => act("close");
$("pause").onclick = () => post("/api/control", { command: "pause" });
$("resume").onclick = () => post("/api/control", { command: "resume" });
$("speed").onchange = () => post("/api/control", { command: "speed", speed: Number($("speed").value) });

const events = new EventSource("/api/events");
events.onmessage = (message) => { state = JSON.parse(message.data); render(); tick(); };
setInterval(tick, 250);
showWork();
