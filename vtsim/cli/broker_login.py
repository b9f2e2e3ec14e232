"""The login options every broker-talking command shares: TLS files, username, password.

``--cafile``, ``--certfile`` and ``--keyfile`` switch TLS on (the server's certificate is always
verified, against ``--cafile`` or the system's trusted CAs); ``--username`` and ``--password``
log in (``--password`` may also come from the ``VTSIM_MQTT_PASSWORD`` environment variable, so
that it does not show in the process list). Values given here override those in the URL.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from devices.contract.errors import DeviceContractError

if TYPE_CHECKING:
    from devices.transport.mqtt import BrokerAddress

PANEL = "Broker login (TLS, account)"

CaFileOption = Annotated[
    Path | None,
    typer.Option("--cafile", help="CA certificate (PEM) that signed the broker's; implies TLS.",
                 rich_help_panel=PANEL),
]
CertFileOption = Annotated[
    Path | None,
    typer.Option("--certfile", help="Client certificate (PEM), for brokers that require one.",
                 rich_help_panel=PANEL),
]
KeyFileOption = Annotated[
    Path | None,
    typer.Option("--keyfile", help="Private key (PEM) of --certfile.", rich_help_panel=PANEL),
]
UsernameOption = Annotated[
    str | None, typer.Option("--username", help="Broker account.", rich_help_panel=PANEL)
]
PasswordOption = Annotated[
    str | None,
    typer.Option("--password", envvar="VTSIM_MQTT_PASSWORD",
                 help="Password of --username (or set VTSIM_MQTT_PASSWORD).",
                 rich_help_panel=PANEL),
]


class BrokerLoginError(DeviceContractError):
    """TLS files that do not exist or do not go together."""


def with_login(address: BrokerAddress, cafile: Path | None = None,
               certfile: Path | None = None, keyfile: Path | None = None,
               username: str | None = None, password: str | None = None) -> BrokerAddress:
    """``address`` with the login options applied.

    Any TLS file switches TLS on. Raises :class:`BrokerLoginError` for a missing file, or a
    certificate without its key.
    """
    for name, path in (("--cafile", cafile), ("--certfile", certfile), ("--keyfile", keyfile)):
        if path is not None and not path.is_file():
            raise BrokerLoginError(f"{name} {path}: no such file")
    if (certfile is None) != (keyfile is None):
        raise BrokerLoginError("--certfile and --keyfile go together: give both or neither")
    tls = address.tls or any(p is not None for p in (cafile, certfile, keyfile))
    return replace(
        address,
        tls=tls,
        ca_file=str(cafile) if cafile else address.ca_file,
        cert_file=str(certfile) if certfile else address.cert_file,
        key_file=str(keyfile) if keyfile else address.key_file,
        username=username if username is not None else address.username,
        password=password if password is not None else address.password,
    )
