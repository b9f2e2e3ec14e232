"""Training sessions without a broker: script schema, scenario clock, centre, replay schedule,
debrief arithmetic, and every shipped training scenario played through."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest

from devices.contract.centre_actions import (
    ControlCommand,
    IncidentState,
    OperatorAction,
    SessionState,
    actions_topic,
)
from devices.contract.codec import format_ts
from devices.contract.signing import signed
from devices.transport.base import InProcessTransport
from sim.errors import ScenarioError
from sim.realtime.training import ScenarioClock, TrainingError, TrainingFleet, session_seats
from sim.scenario.loading import load_scenario, validate_scenario
from sim.scenario.script import check_training
from tests.conftest import SCENARIOS
from tests.scenario_factory import BASE
from vtsim.training.debrief import build_debrief, render_html
from vtsim.training.recording import Recorded, read_recording, replay, replay_schedule
from vtsim.training.session import TrainingSession

TRAINING = sorted((SCENARIOS / "training").glob("*.yaml"))


def training_data(**training: Any) -> dict[str, Any]:
    """The tiny scenario with two safety alarms and a training section."""
    data = copy.deepcopy(BASE)
    data["users"] = [{"name": "u", "count": 2, "devices": ["safety_alarm"]}]
    data["centre"]["shifts"][0]["operators"] = 2
    data["training"] = {"start": "22:00", "duration": "6h", **training}
    data["horizon"] = "2d"
    return data


def problems(data: dict[str, Any]) -> list[str]:
    """Every problem of a scenario (schema and cross-checks) as ``path: message``."""
    try:
        scenario = validate_scenario(data, "t.yaml")
    except ScenarioError as exc:
        return [f"{p.path}: {p.message}" for p in exc.problems]
    return [f"{p.path}: {p.message}" for p in check_training(scenario, "t.yaml")]


# --- script schema ------------------------------------------------------------------------------


def test_scripted_events_are_timed_from_the_session_start_across_midnight() -> None:
    script = [{"at": "02:13", "device": "sa-0002", "event": "fall_detected"},
              {"at": "22:30", "device": "sa-0001", "event": "button_need"}]
    scenario = validate_scenario(training_data(script=script), "t.yaml")
    assert scenario.training is not None
    timeline = [(at, e.device) for at, _, e in scenario.training.timeline()]
    assert timeline == [(22.5 * 3600, "sa-0001"), ((24 + 2) * 3600 + 13 * 60, "sa-0002")]
    assert problems(training_data(script=script)) == []


@pytest.mark.parametrize(("entry", "expected"), [
    ({"at": "01:00", "device": "sa-0003", "event": "fall_detected"},
     "training.script.0.device: no such device"),
    ({"at": "01:00", "device": "sa-0001", "event": "geofence_exit"},
     "training.script.0.event: unknown event of safety_alarm"),
    ({"at": "01:00", "device": "sa-0001", "event": "heartbeat"},
     "training.script.0.event: this event carries information only"),
    ({"at": "05:00", "device": "sa-0001", "event": "fall_detected"},
     "training.script.0.at: falls after the end of the session"),
    ({"at": "25:00", "device": "sa-0001", "event": "fall_detected"},
     "training.script.0.at: expected a time of day"),
    ({"at": "01:00", "device": "xx-0001", "event": "fall_detected"},
     "training.script.0.device: String should match pattern"),
    ({"at": "01:00", "device": "sa-0001", "event": "fall_detected", "call_outcome": "pray"},
     "training.script.0.call_outcome: unknown outcome"),
    ({"at": "01:00", "device": "sa-0001", "event": "fall_detected", "when": "now"},
     "training.script.0.when: unknown field"),
])
def test_script_errors_name_the_field_path(entry: dict[str, Any], expected: str) -> None:
    found = problems(training_data(script=[entry]))
    assert len(found) == 1 and found[0].startswith(expected), found


def test_a_session_past_the_horizon_is_refused() -> None:
    data = training_data()
    data["horizon"] = "1d"
    assert problems(data) == ["training.duration: the session ends after the horizon "
                              "(86400 s); lengthen `horizon` or shorten the session"]


def test_seats_default_to_operators_on_duty_less_the_absent() -> None:
    assert session_seats(validate_scenario(training_data(), "t")) == 2
    assert session_seats(validate_scenario(training_data(absent=1), "t")) == 1
    assert session_seats(validate_scenario(training_data(seats=5, absent=1), "t")) == 5


# --- scenario clock ---------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_scenario_clock_pauses_resumes_and_changes_speed_without_jumps() -> None:
    real = FakeClock()
    clock = ScenarioClock(1000.0, speed=2.0, real=real)
    real.t += 10
    assert clock.now() == 1020.0
    clock.pause()
    real.t += 50
    assert clock.now() == 1020.0 and clock.real_delay(1030.0) == float("inf")
    clock.resume()
    real.t += 5
    assert clock.now() == 1030.0
    clock.set_speed(60.0)
    assert clock.now() == 1030.0
    real.t += 1
    assert clock.now() == 1090.0
    assert clock.real_delay(1150.0) == pytest.approx(1.0)
    for frozen in (0, 1e-300, 0.009, float("nan"), float("inf"), 10_001):
        with pytest.raises(TrainingError, match=r"speed must be from 0\.01 to 10000"):
            clock.set_speed(frozen)
    assert clock.now() == 1090.0 and clock.speed == 60.0


# --- replay scheduler -----------------------------------------------------------------------


def recorded(mono: float, topic: str = "vt/v1/t/x/y/events", payload: bytes = b"{}") -> Recorded:
    return Recorded(mono, 1e9 + mono, topic, 1, False, payload)


def test_replay_schedules_against_the_start_not_cumulative_sleeps() -> None:
    real = FakeClock()
    published: list[tuple[float, float]] = []

    def slow_publish(record: Recorded) -> None:
        published.append((real.t - 100.0, record.mono))
        real.t += 0.3  # each publish takes 0.3 s: cumulative sleeps would drift by that

    def sleep(seconds: float) -> None:
        real.t += seconds

    records = [recorded(10.0), recorded(11.0), recorded(13.0), recorded(13.1)]
    assert replay(records, slow_publish, speed=2.0, clock=real, sleep=sleep) == 4
    assert [round(at, 6) for at, _ in published] == [0.0, 0.5, 1.5, 1.8]
    offsets = [offset for offset, _ in replay_schedule(records, 4.0)]
    assert offsets == pytest.approx([0.0, 0.25, 0.75, 0.775])


def test_recorded_lines_round_trip_text_and_binary(tmp_path: Path) -> None:
    lines = [recorded(0.5, payload="blåbær".encode()), recorded(0.7, payload=b"\xff\x00\xfe")]
    path = tmp_path / "r.jsonl"
    path.write_text("".join(r.to_json() + "\n" for r in lines), encoding="utf-8")
    assert read_recording(path) == lines
    assert '"payload_b64":"/wD+"' in path.read_text()


# --- the centre and the debrief, in process -------------------------------------------------


def play(scenario_path: Path, trainee_actions: bool = False) -> TrainingSession:
    """Play a training scenario at high speed on the in-process transport until done."""
    scenario = load_scenario(scenario_path)
    transport = InProcessTransport()
    session = TrainingSession(scenario, transport, transport, speed=10_000.0,
                              session_id="test")
    session.start()
    session.run(exit_when_done=True)
    return session


@pytest.mark.parametrize("path", TRAINING, ids=lambda p: p.name)
def test_shipped_training_scenario_plays_and_simulated_operators_close_everything(
        path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.training is not None and len(scenario.training.script) >= 3
    assert list(check_training(scenario, str(path))) == []
    session = play(path)
    incidents = [i.state for i in session.centre.incidents.values()]
    scripted = {s.scripted for s in incidents if s.scripted is not None}
    assert scripted == set(range(len(scenario.training.script)))
    assert all(s.phase == "closed" and s.outcome == s.expected_outcome for s in incidents)
    assert session.centre.counts.refused == 0


def test_shipped_training_scenarios_are_the_three_situations() -> None:
    assert {p.name for p in TRAINING} >= {"storm-night.yaml", "morning-peak.yaml",
                                          "dispenser-jam.yaml"}


def state_record(mono: float, topic: str, model: IncidentState | SessionState) -> Recorded:
    return Recorded(mono, mono, topic, 1, True, model.model_dump_json().encode())


def test_debrief_arithmetic_per_incident_and_trainee() -> None:
    session = SessionState.model_validate({
        "session_id": "s1", "scenario": "x", "tenant": "t", "start_date": "2026-11-22",
        "start_at": 79200.0, "end_at": 93600.0, "phase": "running", "scenario_at": 79200.0,
        "speed": 1.0, "ts": "2026-11-22T21:00:00Z", "seats": 2,
        "operators": [{"name": "kari", "simulated": False}, {"name": "sim-1", "simulated": True}],
    })
    base = {"session_id": "s1", "device_type": "safety_alarm", "event": "fall_detected",
            "priority": 1, "take_within": 60.0, "close_within": 600.0}
    fast_right = IncidentState.model_validate({
        **base, "incident_id": 1, "device_id": "sa-0001", "phase": "closed", "opened_at": 80000.0,
        "taken_at": 80030.0, "taken_by": "kari", "outcome": "home_visit", "closed_at": 80500.0,
        "closed_by": "kari", "expected_outcome": "home_visit", "history": [
            {"at": 80030.0, "operator": "kari", "kind": "take"},
            {"at": 80400.0, "operator": "kari", "kind": "choose_outcome",
             "detail": "home_visit"},
            {"at": 80500.0, "operator": "kari", "kind": "close"}]})
    slow_wrong = IncidentState.model_validate({
        **base, "incident_id": 2, "device_id": "sa-0002", "phase": "closed", "opened_at": 81000.0,
        "taken_at": 81090.0, "taken_by": "kari", "outcome": "resolved_remotely",
        "closed_at": 81700.0, "closed_by": "kari", "expected_outcome": "emergency_services"})
    waiting = IncidentState.model_validate({**base, "incident_id": 3, "device_id": "sa-0003",
                                            "phase": "waiting", "opened_at": 82000.0})
    other = IncidentState.model_validate({**base, "session_id": "old", "incident_id": 9,
                                          "device_id": "sa-0009", "phase": "waiting",
                                          "opened_at": 1.0})
    records = [state_record(0, "vt/v1/t/centre/session/state", session)] + [
        state_record(n, f"vt/v1/t/centre/incidents/{s.incident_id}", s)
        for n, s in enumerate([other, fast_right, slow_wrong, waiting], start=1)]
    debrief = build_debrief(records)
    one, two, three = debrief.incidents
    assert (one.time_to_take, one.time_to_close, one.outcome_right, one.take_met,
            one.close_met) == (30.0, 500.0, True, True, True)
    assert (two.time_to_take, two.time_to_close, two.outcome_right, two.take_met,
            two.close_met) == (90.0, 700.0, False, False, False)
    assert (three.time_to_take, three.take_met) == (None, False)
    (kari,) = debrief.operators
    assert (kari.taken, kari.closed, kari.outcomes_right, kari.takes_met, kari.closes_met) == (
        2, 2, 1, 1, 1)
    assert kari.mean_time_to_take == 60.0 and kari.mean_time_to_close == 600.0
    assert [a.kind for a in kari.actions] == ["take", "choose_outcome", "close"]
    page = render_html(debrief, "nb")
    assert "Gjennomgang av treningsøkt" in page and "hjemmebesøk" in page and "<svg" in page
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    english = render_html(debrief, "en")
    assert "Training session debrief" in english and "Mean time to take" in english


def acting_session(seats: int = 1) -> tuple[TrainingSession, InProcessTransport, list[bytes]]:
    """The dispenser scenario on an in-process bus, started, with its results collected."""
    scenario = load_scenario(SCENARIOS / "training" / "dispenser-jam.yaml")
    transport = InProcessTransport()
    session = TrainingSession(scenario, transport, transport, speed=1.0, seats=seats,
                              session_id="t", secret="s3cret")
    results: list[bytes] = []
    transport.subscribe("vt/v1/trening/centre/results/+", lambda _t, p: results.append(p))
    session.start()
    return session, transport, results


def send(transport: InProcessTransport, operator: str, kind: str, key: bytes = b"s3cret",
         session_id: str = "t", **extra: Any) -> None:
    """An operator's action, signed with ``key``, on the actions topic."""
    action = OperatorAction.model_validate({
        "action_id": f"a-{kind}-{extra.get('incident_id')}", "operator": operator,
        "kind": kind, "ts": "2026-11-24T07:00:00Z", "session_id": session_id, **extra})
    transport.publish(actions_topic("trening", operator),
                      signed(action, key).model_dump_json().encode())


def test_actions_are_checked_and_refused_with_a_reason() -> None:
    session, transport, results = acting_session()

    def act(kind: str, **extra: Any) -> None:
        send(transport, "kari", kind, **extra)

    act("take", incident_id=1)
    assert "logg inn først" in results[-1].decode()
    act("login")
    incident = session.centre.open_incident("disp-0004", "medicine_dispenser", "jammed")
    act("take", incident_id=incident.state.incident_id)
    act("close", incident_id=incident.state.incident_id)
    assert "velg utfall før du lukker" in results[-1].decode()
    act("call", incident_id=incident.state.incident_id)
    state = session.centre.incidents[1].state
    assert state.scripted is None, "07:30 is before the scripted jam at 07:55"
    assert state.call is not None and state.call.suggests == state.expected_outcome
    act("take", incident_id=1)
    assert "allerede tatt av kari" in results[-1].decode()
    act("choose_outcome", incident_id=1, outcome=state.expected_outcome)
    act("close", incident_id=1)
    assert session.centre.incidents[1].state.phase == "closed"
    assert session.centre.incidents[1].state.closed_by == "kari"


def test_unsigned_foreign_or_replayed_messages_change_nothing() -> None:
    session, transport, results = acting_session()
    send(transport, "kari", "login", key=b"guess")
    send(transport, "kari", "login", session_id="another")
    assert results == [] and session.centre.counts.unsigned_actions == 2
    bare = OperatorAction.model_validate({"action_id": "x", "operator": "kari",
                                          "kind": "login", "ts": "2026-11-24T07:00:00Z"})
    transport.publish(actions_topic("trening", "kari"), bare.model_dump_json().encode())
    assert results == [] and "kari" not in session.centre.trainees
    stop = ControlCommand(command="stop", nonce="n1", ts=dt.datetime.now(dt.UTC))
    transport.publish("vt/v1/trening/centre/control/x", stop.model_dump_json().encode())
    transport.publish("vt/v1/trening/centre/control/x",
                      signed(stop, b"guess").model_dump_json().encode())
    old = stop.model_copy(update={"ts": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)})
    transport.publish("vt/v1/trening/centre/control/x",
                      signed(old, b"s3cret").model_dump_json().encode())
    transport.publish("vt/v1/trening/centre/control/x", b"{not json")
    assert session.centre.phase == "running" and session.forged_controls == 4
    pause = signed(ControlCommand(command="pause", nonce="n2", ts=dt.datetime.now(dt.UTC)),
                   b"s3cret").model_dump_json().encode()
    transport.publish("vt/v1/trening/centre/control/x", pause)
    assert session.centre.phase == "paused"
    session.control(ControlCommand(command="resume"))
    transport.publish("vt/v1/trening/centre/control/x", pause)  # the same nonce again
    assert session.centre.phase == "running" and session.forged_controls == 5


def test_paused_means_no_actions_and_logout_hands_the_incident_back() -> None:
    session, transport, results = acting_session()
    send(transport, "Bjørn Åsen", "login")
    assert b'"accepted":true' in results[-1]
    incident = session.centre.open_incident("disp-0004", "medicine_dispenser", "jammed")
    ident = incident.state.incident_id
    session.control(ControlCommand(command="pause"))
    send(transport, "Bjørn Åsen", "take", incident_id=ident)
    assert "pause" in results[-1].decode() and incident.state.phase == "waiting"
    session.control(ControlCommand(command="resume"))
    send(transport, "Bjørn Åsen", "take", incident_id=ident)
    assert session.centre.incidents[ident].state.taken_by == "Bjørn Åsen"
    send(transport, "Bjørn Åsen", "logout")
    state = session.centre.incidents[ident].state
    kinds = [(h.operator, h.kind) for h in state.history]
    assert ("Bjørn Åsen", "logout") in kinds, kinds
    assert state.taken_by != "Bjørn Åsen"  # back in the queue: a simulated operator took it
    session.control(ControlCommand(command="stop"))
    send(transport, "Bjørn Åsen", "login")
    send(transport, "Bjørn Åsen", "take", incident_id=ident)
    assert "stoppet" in results[-1].decode()


@pytest.mark.parametrize("name", ["sim-1", "SIM-2", "Sim 3"])
def test_a_trainee_cannot_take_a_simulated_operators_name(name: str) -> None:
    session, transport, results = acting_session()
    send(transport, name, "login")
    assert "reservert" in results[-1].decode() and name not in session.centre.trainees


def test_simulated_operators_never_share_a_name() -> None:
    session, transport, _results = acting_session(seats=3)
    assert [op.name for op in session.centre.simulated] == ["sim-1", "sim-2", "sim-3"]
    session.centre.simulated[1].incident_id = 9  # sim-2 busy: it retires when done
    send(transport, "kari", "login")
    send(transport, "ola", "login")
    send(transport, "ola", "logout")
    send(transport, "kari", "logout")
    names = [op.name for op in session.centre.simulated]
    assert len(names) == len(set(names)), names


def test_the_fleet_stamps_its_messages_with_the_wall_clock() -> None:
    script = [{"at": "22:30", "device": "sa-0001", "event": "button_need"}]
    scenario = validate_scenario(training_data(script=script), "t.yaml")
    bus = InProcessTransport()
    stamps: list[str] = []
    bus.subscribe("vt/v1/+/+/+/events",
                  lambda _topic, payload: stamps.append(orjson.loads(payload)["ts"]))
    wall = 1_800_000_000.25  # 2027-01-15T08:00:00.250Z, far from the scenario's clock
    fleet = TrainingFleet(scenario, bus, seed=3, wall=lambda: wall)
    fleet.fast_forward()
    fleet.advance(fleet.end)
    assert stamps and set(stamps) == {format_ts(wall)}


def test_the_console_listens_on_loopback_unless_told_otherwise() -> None:
    from vtsim.training.access import Access
    from vtsim.training.console import ConsoleServer, ConsoleState

    server = ConsoleServer(ConsoleState("trening", b"k"), lambda topic, payload: None,
                           lambda command: None, Access("k"), "t", port=0)
    try:
        assert server.host == "127.0.0.1"
    finally:
        server.socket.close()


def test_the_trainer_injects_a_scripted_event_now_and_it_is_not_raised_twice() -> None:
    scenario = load_scenario(SCENARIOS / "training" / "dispenser-jam.yaml")
    transport = InProcessTransport()
    session = TrainingSession(scenario, transport, transport, speed=1.0, seats=1,
                              session_id="t", secret="s3cret")
    session.start()
    (at, index, entry), *_ = scenario.training.timeline()  # type: ignore[union-attr]
    assert session.clock.now() < at - 600
    session.control(ControlCommand(command="inject", script=index))
    session.step()
    scripted = [i.state for i in session.centre.incidents.values() if i.state.scripted == index]
    assert len(scripted) == 1 and scripted[0].device_id == entry.device
    assert scripted[0].opened_at < at and scripted[0].expected_outcome == entry.expected_outcome
    assert session.fleet.inject(index) is False
    session.fleet.advance(at + 60)
    again = [i for i in session.centre.incidents.values() if i.state.device_id == entry.device
             and i.state.event == entry.event]
    assert len(again) == 1, "the scripted event fired again at its own time"


class Flaky:
    """A transport whose broker can vanish: ``lost`` drops publishes the broker seemed to
    take (it died with them), ``connected`` says whether the link is up."""

    def __init__(self, inner: InProcessTransport) -> None:
        self.inner = inner
        self.connected = True
        self.lost = False
        self.dropped = 0

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        if self.lost or not self.connected:
            self.dropped += 1
            return
        self.inner.publish(topic, payload, qos=qos, retain=retain)

    def subscribe(self, pattern: str, handler: Any) -> None:
        self.inner.subscribe(pattern, handler)


def test_a_broker_outage_pauses_the_session_and_loses_no_alarm() -> None:
    data = orjson.loads(orjson.dumps(load_scenario(
        SCENARIOS / "training" / "storm-night.yaml").model_dump(mode="json")))
    data["devices"]["safety_alarm"]["events"]["button_need"]["rate_per_day"] = 50.0
    scenario = validate_scenario(data, "storm.yaml")
    bus, real = InProcessTransport(), FakeClock()
    fleet_link, centre_link = Flaky(bus), Flaky(bus)
    sent: set[str] = set()
    bus.subscribe("vt/v1/trening/+/+/events", lambda _t, p: None)
    session = TrainingSession(scenario, centre_link, fleet_link, speed=60.0, seats=2,
                              session_id="t", secret="s3cret", real=real)
    original = session.ledger.publish

    def counting(topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        sent.add(orjson.loads(payload)["message_id"])
        original(topic, payload, qos=qos, retain=retain)

    session.ledger.publish = counting  # type: ignore[method-assign]
    received: set[str] = set()
    confirm = session.centre.on_received

    def note(payload: bytes) -> None:
        received.add(orjson.loads(payload)["message_id"])
        confirm(payload)

    session.centre.on_received = note
    told: list[str] = []
    session.on_change = lambda: told.append(session.centre.pause_reason)
    session.start()

    def run(seconds: float) -> None:
        for _ in range(int(seconds * 10)):
            real.t += 0.1
            session.step()

    run(20)
    fleet_link.lost = True  # the broker dies with messages it had taken
    run(10)
    lost = fleet_link.dropped
    fleet_link.connected = centre_link.connected = False
    run(1)
    assert session.centre.phase == "paused" and "meldingsserveren" in told[-1]
    frozen = session.clock.now()
    run(30)
    assert session.clock.now() == frozen and session.ledger.holding
    fleet_link.lost, fleet_link.connected, centre_link.connected = False, True, True
    run(0.5)
    assert session.centre.phase == "paused", "not before every link has settled"
    run(2)
    assert session.centre.phase == "running" and told[-1] == ""
    assert session.clock.now() > frozen
    run(10)
    assert lost > 5, "the test needs alarms in flight when the broker dies"
    assert session.ledger.resent >= lost
    assert sent and sent <= received, f"{len(sent - received)} alarm(s) lost"
    assert not session.ledger.unconfirmed


def test_resident_cards_are_seeded_and_gps_alarms_carry_their_position() -> None:
    session, _transport, _results = acting_session()
    centre = session.centre
    placed = next(p for p in centre.fleet.by_id.values())
    first = centre.residents.card(placed.user + 1, placed.profile, placed.zone)
    again = TrainingSession(centre.scenario, InProcessTransport(), InProcessTransport(),
                            session_id="u", secret="x").centre.residents
    assert again.card(placed.user + 1, placed.profile, placed.zone) == first
    other = TrainingSession(centre.scenario, InProcessTransport(), InProcessTransport(),
                            session_id="v", secret="x", seed=99).centre.residents
    cards = [other.card(n, "p", placed.zone) for n in range(1, 30)]
    assert any(c != first for c in cards) and all(1 <= len(c.contacts) <= 3 for c in cards)
    assert all(1928 <= c.born < 1952 and c.key_box and c.address for c in cards)
    user = centre.user_info(placed.device.device_id)
    card, home = centre.resident_of(user, {})
    assert card == first and home is not None and home.lat is None
    left, right = centre.residents.strips[placed.zone]
    assert left <= home.x <= right
    _card, fix = centre.resident_of(user, {"lat": 59.781, "lon": 10.2405})
    assert fix is not None and fix.lat == 59.781 and 0 <= fix.x <= 1 and fix.y < 0.5


def test_the_call_flow_records_who_answered_in_call_order() -> None:
    session, transport, results = acting_session()
    send(transport, "kari", "login")
    incident = session.centre.open_incident("disp-0004", "medicine_dispenser", "jammed")
    ident = incident.state.incident_id
    send(transport, "kari", "take", incident_id=ident)
    for _ in range(4):
        send(transport, "kari", "call", incident_id=ident)
    state = session.centre.incidents[ident].state
    resident_calls = [c for c in state.calls if c.to == "bruker"]
    assert len(resident_calls) == 4
    assert (state.call is not None) == any(c.answered for c in resident_calls)
    assert all(c.text.startswith("Ingen svar") for c in resident_calls if not c.answered)
    contacts = state.resident.contacts  # type: ignore[union-attr]
    for _ in range(len(contacts) + 1):
        send(transport, "kari", "call_relative", incident_id=ident)
    called = [c.to for c in session.centre.incidents[ident].state.calls
              if c.to not in ("bruker", "113")]
    expected = [f"{c.name} ({c.relation})" for c in (*contacts, contacts[0])]
    assert called == expected  # in call order, then from the top again
    send(transport, "kari", "call_emergency", incident_id=ident)
    send(transport, "kari", "call_emergency", incident_id=ident)
    assert "113 er allerede varslet" in results[-1].decode()
    assert [c.to for c in session.centre.incidents[ident].state.calls].count("113") == 1


@pytest.mark.parametrize(("args", "says"), [
    (["control", "pause"], "trainer token"),
    (["control", "speed", "1e-300", "--token", "x" * 20], "0.01 to 10000"),
    (["control", "inject", "--token", "x" * 20], "scripted event's number"),
    (["train", str(SCENARIOS / "training" / "storm-night.yaml"), "--trainer-token", "short"],
     "16 to 128"),
    (["train", str(SCENARIOS / "training" / "storm-night.yaml"), "--speed", "0.001"],
     "0.01"),
])
def test_the_command_line_refuses_what_a_session_cannot_use(args: list[str],
                                                            says: str) -> None:
    from typer.testing import CliRunner

    from vtsim.cli.main import app

    result = CliRunner().invoke(app, args, env={"VTSIM_TRAINER_TOKEN": "", "COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert says in " ".join(result.output.split())
