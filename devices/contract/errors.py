"""Errors about the device message contract: unknown kinds, unknown events, malformed topics."""

from __future__ import annotations

from collections.abc import Iterable


class DeviceContractError(ValueError):
    """Base of every error the ``devices`` package raises on purpose."""


class UnknownDeviceType(DeviceContractError):
    """A device type that the catalog does not describe."""

    def __init__(self, device_type: str, known: Iterable[str]) -> None:
        self.device_type = device_type
        self.known = tuple(known)
        super().__init__(
            f"unknown device type {device_type!r}; known device types: {', '.join(self.known)}"
        )


class UnknownEvent(DeviceContractError):
    """An event name that the catalog does not list for its device type."""

    def __init__(self, device_type: str, event: str, known: Iterable[str]) -> None:
        self.device_type = device_type
        self.event = event
        self.known = tuple(known)
        super().__init__(
            f"unknown event {event!r} for device type {device_type!r}; "
            f"known events: {', '.join(self.known)}"
        )


class InvalidTopic(DeviceContractError):
    """A topic or topic filter that breaks the topic scheme or MQTT's rules."""
