"""Shared helpers for the tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from devices.transport.mqtt import BrokerAddress

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

# Property tests judge behaviour, not speed: on a busy two-core machine one example may take
# longer than Hypothesis's default 200 ms deadline. Speed is measured in benchmarks/.
settings.register_profile("vtsim", deadline=None)
settings.load_profile("vtsim")

# The terminal summaries follow the locale (nb, nn, no: Bokmål). Tests read English unless they
# ask for a language with --lang, also on a machine set up in Norwegian.
if os.environ.get("LC_ALL", "").lower().startswith(("nb", "nn", "no")):
    os.environ["LANG"] = os.environ.pop("LC_ALL")
os.environ["LC_MESSAGES"] = "C.UTF-8"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` run only when asked for (``-m slow``), as the marker says."""
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def root() -> Path:
    """The project's top folder."""
    return ROOT


# --- real MQTT brokers on free ports (see tests/brokers.py) -----------------------------------


@pytest.fixture(scope="session")
def mosquitto_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerAddress]:
    """Mosquitto on a free 127.0.0.1 port, with a test configuration; skipped if not installed."""
    from tests.brokers import MosquittoBroker, mosquitto_binary

    if mosquitto_binary() is None:
        pytest.skip("mosquitto is not installed (.ci/run installs Debian's mosquitto)")
    broker = MosquittoBroker(tmp_path_factory.mktemp("mosquitto"))
    yield broker.address
    broker.stop()


@pytest.fixture(scope="session")
def amqtt_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerAddress]:
    """The embedded amqtt broker (``vtsim broker``) on a free 127.0.0.1 port."""
    from tests.brokers import AmqttBroker

    broker = AmqttBroker(tmp_path_factory.mktemp("amqtt"))
    yield broker.address
    broker.stop()


@pytest.fixture(params=["mosquitto", "amqtt"])
def broker(request: pytest.FixtureRequest) -> BrokerAddress:
    """Each real broker in turn: Mosquitto, then the embedded amqtt broker."""
    address: BrokerAddress = request.getfixturevalue(f"{request.param}_broker")
    return address


@pytest.fixture
def tenant() -> str:
    """A tenant of its own for one test, so that tests sharing a broker never meet."""
    return f"t{uuid.uuid4().hex[:12]}"
