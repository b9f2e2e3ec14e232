// The trainer's view: every seat's incidents with the answer key, each operator's figures as
// they happen, and the session's controls (pause, resume, speed, stop, inject a scripted event).
"use strict";

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

function render() {
  renderHeader();
  $("join-code").textContent = state.join_code || "";
  renderQueue(null, (i) => [OUTCOME_NB[i.expected_outcome] || "–",
    i.outcome ? (OUTCOME_NB[i.outcome] + (i.outcome === i.expected_outcome ? " ✓" : " ✗")) : "–",
    i.scripted !== null && i.scripted !== undefined ? `★ ${i.title || ""}` : ""]);
  const speed = $("speed");
  if (state.session && document.activeElement !== speed) {
    const now = String(state.session.speed);
    if (![...speed.options].some((o) => o.value === now)) speed.appendChild(el("option", now));
    speed.value = now;
  }
  renderFigures();
  renderScript();
  renderDetail();
}

function renderFigures() {
  const body = $("figures").querySelector("tbody"); body.replaceChildren();
  const busy = new Map(((state.session && state.session.operators) || []).map((o) => [o.name, o]));
  const rows = new Map((state.figures || []).map((f) => [f.name, f]));
  for (const o of busy.values()) if (!rows.has(o.name)) rows.set(o.name, { name: o.name, simulated: o.simulated, taken: 0, closed: 0, outcomes_right: 0, takes_met: 0, closes_met: 0 });
  for (const f of rows.values()) {
    const seat = busy.get(f.name);
    const row = el("tr", null, f.simulated ? "simulated" : "trainee");
    row.dataset.operator = f.name;
    const now = seat ? (seat.incident_id ? `hendelse ${seat.incident_id}` : "ledig") : "logget ut";
    for (const text of [`${f.name}${f.simulated ? " (simulert)" : ""}`, now, f.taken, f.closed,
      duration(f.mean_time_to_take), duration(f.mean_time_to_close), `${f.outcomes_right} av ${f.closed}`,
      `${f.takes_met + f.closes_met} av ${f.taken + f.closed}`]) row.appendChild(el("td", text));
    body.appendChild(row);
  }
}

let scriptShown = "";
function renderScript() {
  const list = state.script || [];
  const key = JSON.stringify(list);
  if (key === scriptShown) return;
  scriptShown = key;
  const select = $("script"); select.replaceChildren();
  for (const s of list) {
    const option = el("option", `${clockText(s.at)} ${s.device}: ${EVENT_NB[s.event] || s.event}${s.title ? " – " + s.title : ""}`);
    option.value = s.index; select.appendChild(option);
  }
}

function renderDetail() {
  const i = state.incidents.find((x) => x.incident_id === selected);
  $("detail-body").hidden = !i;
  if (!i) { $("detail-title").textContent = "Velg en hendelse"; return; }
  renderFacts(i);
  $("answer-key").textContent = `Fasit: ${OUTCOME_NB[i.expected_outcome] || "–"}` +
    (i.call && i.call.suggests ? ` · samtalen peker mot ${OUTCOME_NB[i.call.suggests]}` : "") +
    (i.title ? ` · ${i.title}` : "");
  renderCard(i); renderMap(i); renderHistory(i);
}

async function control(body) {
  $("message").textContent = "";
  const { ok, answer } = await post("/api/control", body);
  $("message").textContent = ok ? "" : `Avvist: ${answer.error}`;
}

function showWork(on) { $("login-box").hidden = on; $("work").hidden = !on; }

$("pause").onclick = () => control({ command: "pause" });
$("resume").onclick = () => control({ command: "resume" });
$("stop").onclick = () => { if (confirm("Stoppe økten for alle?")) control({ command: "stop" }); };
$("speed").onchange = () => control({ command: "speed", speed: Number($("speed").value) });
$("inject").onclick = () => control({ command: "inject", script: Number($("script").value) });
$("logout").onclick = async () => { await post("/api/logout", {}); location.href = "/trainer"; };
$("trainer-form").onsubmit = async (event) => {
  event.preventDefault();
  await logIn($("token").value);
};

async function logIn(token) {
  const { ok, answer } = await post("/api/trainer", { token });
  if (!ok) { $("login-message").textContent = answer.error; showWork(false); return; }
  showWork(true); follow(render);
}

(async () => {
  const token = location.hash.slice(1);
  if (token) { history.replaceState(null, "", "/trainer"); await logIn(decodeURIComponent(token)); return; }
  const response = await fetch("/api/me", { credentials: "same-origin" });
  const who = response.ok ? await response.json() : {};
  if (who.role === "trainer") { showWork(true); follow(render); } else showWork(false);
})();
