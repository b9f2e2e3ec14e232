"""The one exception hierarchy of vtsim: every error a user can meet, with a message to act on."""

from __future__ import annotations

from dataclasses import dataclass


class VtsimError(Exception):
    """Base of every error vtsim raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in an input file: where it is, what is wrong, what was found."""

    file: str
    path: str
    message: str
    value: str

    def describe(self) -> str:
        """One line a user can act on: ``file: path: message (got value)``."""
        where = f"{self.file}: {self.path}" if self.path else self.file
        got = f" (got {self.value})" if self.value else ""
        return f"{where}: {self.message}{got}"


class ScenarioError(VtsimError):
    """A scenario file that cannot be used; carries one :class:`Problem` per problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(p.describe() for p in self.problems))
