// The trainee's console: log in with the join code and a name, then work incidents. The server
// knows who you are from your seat cookie; actions go to /api/action and the centre answers.
"use strict";

let me = null;

function render() {
  renderHeader();
  $("who").textContent = me ? `Innlogget: ${me}` : "";
  renderQueue(me, () => []);
  renderDetail();
}

function renderDetail() {
  const i = state.incidents.find((x) => x.incident_id === selected);
  $("detail-body").hidden = !i;
  if (!i) { $("detail-title").textContent = "Velg en hendelse"; return; }
  renderFacts(i);
  const s = state.session;
  const working = s && (s.phase === "running" || s.phase === "ended") && !state.notice && !s.pause_reason;
  const mine = working && i.phase === "taken" && i.taken_by === me;
  $("take").disabled = !working || i.phase !== "waiting";
  for (const id of ["call", "call-relative", "call-emergency", "choose", "dispatch", "note", "close"]) $(id).disabled = !mine;
  renderCard(i); renderMap(i); renderHistory(i);
}

async function act(kind, extra = {}) {
  $("message").textContent = "";
  const { ok, answer } = await post("/api/action", { kind, incident_id: selected, ...extra });
  if (!ok) $("message").textContent = `Avvist: ${answer.reason || answer.error || "ukjent feil"}`;
  return ok;
}

function showWork() {
  $("login-box").hidden = !!me;
  $("work").hidden = !me;
  $("logout").hidden = !me;
}

$("login-form").onsubmit = async (event) => {
  event.preventDefault();
  $("login-message").textContent = "";
  const { ok, answer } = await post("/api/login", { join_code: $("join-code").value, name: $("name").value });
  if (!ok) { $("login-message").textContent = answer.error || "Innlogging avvist"; return; }
  me = answer.name; showWork(); follow(render);
};
$("logout").onclick = async () => { await post("/api/logout", {}); location.reload(); };
$("take").onclick = () => act("take");
$("call").onclick = () => act("call");
$("call-relative").onclick = () => act("call_relative");
$("call-emergency").onclick = () => act("call_emergency");
$("choose").onclick = () => act("choose_outcome", { outcome: $("outcome").value });
$("dispatch").onclick = () => act("dispatch_visit");
$("note").onclick = async () => { if (await act("note", { text: $("note-text").value })) $("note-text").value = ""; };
$("close").onclick = () => act("close");

(async () => {
  const response = await fetch("/api/me", { credentials: "same-origin" });
  if (response.ok) {
    const who = await response.json();
    if (who.role === "trainer") { location.href = "/trainer"; return; }
    me = who.name; showWork(); follow(render);
  } else {
    showWork();
  }
})();
