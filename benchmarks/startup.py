"""Start-up time and memory of ``vtsim`` commands beside importing the libraries they build on.

    PYTHONPATH=. python benchmarks/startup.py [--repeat 5] [--python .venv/bin/python]

Each figure is the wall time of a fresh process, from start to exit (or, for the centre, to
its first answer), the median and the best of ``--repeat`` runs; the CPU seconds the process
used until then (median: on a busy machine the wall times grow with the load, the CPU times
hardly); and its peak resident memory (median; ``VmHWM`` as the process reports it on exit,
since ``ru_maxrss`` of a child also counts the pages of the parent it was forked from):

- reference: ``python -c "import simpy, paho.mqtt.client, pydantic, rich.console"``, the
  libraries every command builds on;
- ``python -m vtsim --version`` and ``python -m vtsim --help``;
- ``vtsim centre`` against a broker this script starts (Mosquitto if installed, else the
  embedded ``vtsim broker``): from the start of the process until a device publishing an alarm
  every 20 ms gets its first acknowledgement, i.e. until the centre is ready to answer. The
  "listening" line it prints is timed too.

Goals (issue 15): ``--version`` and ``--help`` within 3x of the reference, the centre ready to
answer within 1 s. ``--python`` measures another interpreter (another checkout's virtual
environment), so that the code before a change can be timed with the same script.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from devices.contract.codec import encode_fields, format_ts
from devices.contract.topics import ack_topic, device_topic
from devices.transport.mqtt import BrokerAddress, MqttTransport
from tests.brokers import AmqttBroker, MosquittoBroker, RunningBroker, mosquitto_binary

REFERENCE_IMPORTS: Final = "import simpy, paho.mqtt.client, pydantic, rich.console"
PROBE_MARK: Final = "startup-probe="
PROBE: Final = f"""import atexit, resource, sys
def _probe():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    try:
        with open('/proc/self/status') as status:
            kb = next(int(l.split()[1]) for l in status if l.startswith('VmHWM:'))
    except (OSError, StopIteration):
        kb = usage.ru_maxrss
    cpu = usage.ru_utime + usage.ru_stime
    sys.stderr.write('\\n{PROBE_MARK}' + str(kb) + ' ' + str(cpu) + '\\n')
    sys.stderr.flush()
atexit.register(_probe)
"""
"""Run first in every measured process: on exit it writes its peak resident memory (KiB) and
the CPU seconds it used."""
TENANT: Final = "bench"
DEVICE: Final = "sa-startup"
KIND: Final = "safety_alarm"
PUBLISH_EVERY_S: Final = 0.02
READY_TIMEOUT_S: Final = 60.0
HELP_GOAL: Final = 3.0
CENTRE_GOAL_S: Final = 1.0


@dataclass(frozen=True, slots=True)
class Sample:
    """One process: seconds to the figure's end point, CPU seconds it used until then, peak
    resident memory in MB."""

    seconds: float
    cpu_s: float
    peak_mb: float
    listening_s: float | None = None


@dataclass(frozen=True, slots=True)
class Figure:
    """The samples of one measured command."""

    name: str
    samples: tuple[Sample, ...]

    @property
    def median_s(self) -> float:
        """Median wall time."""
        return statistics.median(s.seconds for s in self.samples)

    @property
    def best_s(self) -> float:
        """Best wall time."""
        return min(s.seconds for s in self.samples)

    @property
    def cpu_s(self) -> float:
        """Median CPU time: what the wall time would be on an idle machine, near enough."""
        return statistics.median(s.cpu_s for s in self.samples)

    @property
    def peak_mb(self) -> float:
        """Median peak resident memory."""
        return statistics.median(s.peak_mb for s in self.samples)


def probed(python: str, code: str) -> list[str]:
    """``python -c code`` that reports its peak memory and CPU time on exit."""
    return [python, "-c", PROBE + code]


def vtsim_command(python: str, *args: str) -> list[str]:
    """``python -m vtsim ARGS`` that reports its peak memory and CPU time on exit."""
    return probed(python, f"import runpy, sys\nsys.argv = ['vtsim', *{list(args)!r}]\n"
                          "runpy.run_module('vtsim', run_name='__main__', alter_sys=True)")


def probe_report(output: str) -> tuple[float, float]:
    """The peak memory (MB) and CPU seconds a probed process reported on exit."""
    marks = [line for line in output.splitlines() if line.startswith(PROBE_MARK)]
    if not marks:
        raise SystemExit(f"no peak memory reported: {output[-2000:]}")
    kb, cpu = marks[-1][len(PROBE_MARK):].split()
    return int(kb) / 1024, float(cpu)


def cpu_so_far(pid: int) -> float | None:
    """CPU seconds (user and system) a running process has used, from /proc (None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_process(command: Sequence[str], folder: Path) -> Sample:
    """Run ``command`` to its end in ``folder``; wall time and peak memory.

    A scratch folder, not the current one: ``python -c`` imports from its working folder first,
    and the measured interpreter's own vtsim must be the one that runs. A failing command stops
    the benchmark.
    """
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False, cwd=folder)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[-1]} exited with {done.returncode}: {done.stderr[-2000:]}")
    peak, cpu = probe_report(done.stderr)
    return Sample(seconds, cpu, peak)


def alarm(seq: int) -> bytes:
    """A valid safety-alarm button press, a new message id each time."""
    return encode_fields(KIND, DEVICE, "button_need", f"{DEVICE}-{time.time_ns()}-{seq}",
                         format_ts(time.time()), seq, {})


@contextmanager
def device(address: BrokerAddress) -> Iterator[tuple[MqttTransport, list[float]]]:
    """A device client listening for the centre's acknowledgements (their arrival times)."""
    acks: list[float] = []
    client = MqttTransport(address, f"startup-device-{time.time_ns()}", protocol=3)
    client.subscribe(ack_topic(TENANT, DEVICE), lambda _t, _p: acks.append(time.perf_counter()))
    client.connect()
    try:
        yield client, acks
    finally:
        client.close()


def time_centre(python: str, address: BrokerAddress, run: int, log: Path) -> Sample:
    """Seconds from starting ``vtsim centre`` to its first acknowledgement, its CPU seconds
    until then (until it stopped where /proc is missing); peak memory."""
    command = vtsim_command(python, "centre", "--broker", address.url, "--tenant", TENANT,
                            "--no-live", "--db", "memory:", "--client-id",
                            f"startup-centre-{run}", "--session-expiry", "0")
    with device(address) as (client, acks), log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent)
        listening = wait_for_answer(process, client, acks, started, log)
        cpu_at_answer = cpu_so_far(process.pid)
        process.send_signal(signal.SIGINT)
        process.wait(READY_TIMEOUT_S)
    peak, cpu_at_exit = probe_report(log.read_text(errors="replace"))
    return Sample(acks[0] - started, cpu_at_exit if cpu_at_answer is None else cpu_at_answer,
                  peak, listening)


def wait_for_answer(process: subprocess.Popen[bytes], client: MqttTransport,
                    acks: list[float], started: float, log: Path) -> float | None:
    """Publish an alarm every 20 ms until one is acknowledged; when "listening" was printed."""
    listening = None
    seq = 0
    while not acks:
        if process.poll() is not None or time.perf_counter() - started > READY_TIMEOUT_S:
            raise SystemExit(f"vtsim centre did not answer: {log.read_text(errors='replace')}")
        if listening is None and "listening on" in log.read_text(errors="replace"):
            listening = time.perf_counter() - started
        seq += 1
        client.publish(device_topic(TENANT, KIND, DEVICE), alarm(seq), qos=1)
        client.drain(timeout=PUBLISH_EVERY_S)
    return listening


def start_broker(folder: Path) -> RunningBroker:
    """Mosquitto if installed, else the embedded broker."""
    if mosquitto_binary() is not None:
        return MosquittoBroker(folder)
    return AmqttBroker(folder)


def measure_all(python: str, repeat: int, folder: Path) -> list[Figure]:
    """The reference, ``--version``, ``--help`` and the centre, interleaved run by run (so that
    a change in the machine's load touches every figure alike)."""
    broker = start_broker(folder)
    commands: list[tuple[str, Callable[[int], Sample]]] = [
        (f"import {REFERENCE_IMPORTS[7:]} (reference)",
         lambda _run: time_process(probed(python, REFERENCE_IMPORTS), folder)),
        ("vtsim --version",
         lambda _run: time_process(vtsim_command(python, "--version"), folder)),
        ("vtsim --help", lambda _run: time_process(vtsim_command(python, "--help"), folder)),
        (f"vtsim centre, start to first answer ({broker.name})",
         lambda run: time_centre(python, broker.address, run, folder / f"centre-{run}.log")),
    ]
    samples: list[list[Sample]] = [[] for _ in commands]
    try:
        for run in range(repeat):
            for (_name, one), taken in zip(commands, samples, strict=True):
                taken.append(one(run))
    finally:
        broker.stop()
    return [Figure(name, tuple(taken)) for (name, _one), taken in zip(commands, samples,
                                                                      strict=True)]


def report(figures: list[Figure]) -> str:
    """The figures side by side, as ratios of the reference, and the goals."""
    reference = figures[0].median_s
    width = max(len(f.name) for f in figures)
    reference_cpu = figures[0].cpu_s
    lines = [f"{'command':<{width}}  median s  best s  x reference  CPU s  x reference  "
             "peak RSS MB"]
    for figure in figures:
        lines.append(f"{figure.name:<{width}}  {figure.median_s:8.3f}  {figure.best_s:6.3f}  "
                     f"{figure.median_s / reference:10.1f}x  {figure.cpu_s:5.2f}  "
                     f"{figure.cpu_s / reference_cpu:10.1f}x  {figure.peak_mb:11.0f}")
    listening = [s.listening_s for s in figures[3].samples if s.listening_s is not None]
    if listening:
        lines.append(f"(vtsim centre printed 'listening on' after "
                     f"{statistics.median(listening):.3f} s, median)")
    helps = max(figures[1].median_s, figures[2].median_s) / reference
    lines.append(f"goal --version/--help within {HELP_GOAL:.0f}x of the reference: "
                 f"{'met' if helps <= HELP_GOAL else 'NOT met'} ({helps:.1f}x); "
                 f"centre ready within {CENTRE_GOAL_S:.0f} s: "
                 f"{'met' if figures[3].median_s <= CENTRE_GOAL_S else 'NOT met'} "
                 f"({figures[3].median_s:.2f} s; {figures[3].cpu_s:.2f} s of CPU)")
    return "\n".join(lines)


def main() -> None:
    """Parse the options, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter whose vtsim is measured (default: this one)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    with tempfile.TemporaryDirectory(prefix="vtsim-startup-") as folder:
        figures = measure_all(args.python, args.repeat, Path(folder))
    print(report(figures))


if __name__ == "__main__":
    main()
