"""Wire types of the contract: the one definition of a timestamp and an integer on the wire.

The published JSON Schema and the validator must agree on every message. JSON Schema says that
``ts`` is an RFC 3339 ``date-time`` and that an ``integer`` is any JSON number with an integral
value; pydantic on its own accepts other timestamp spellings (Unix seconds as a string, no
seconds, a comma before the fraction, ``+0100``) and refuses ``87.0``. The types here make the
validator follow the schema, and the schema carries :data:`RFC3339_PATTERN`, the same pattern the
validator checks first, so that validators which treat ``format`` as a mere annotation still
agree. ``tests/contract/test_schema_agreement.py`` compares the two on thousands of messages.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, GetPydanticSchema, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from pydantic_core import core_schema as cs


def rfc3339_pattern(second: str) -> str:
    """The RFC 3339 ``date-time`` pattern with the given alternatives for the seconds."""
    return (
        rf"^[0-9]{{4}}-(0[1-9]|1[0-2])-[0-9]{{2}}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:({second})"
        r"(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
    )


RFC3339_PATTERN: Final = rfc3339_pattern("[0-5][0-9]|60")
"""RFC 3339 ``date-time`` (section 5.6): seconds required, ``.`` before a fraction, ``Z`` or
``±hh:mm``; ``T`` and ``Z`` may be lower case; second 60 only for a leap second. Published in
the schema; the validator checks the same pattern (:func:`timestamp_core_schema`)."""

NOT_RFC3339: Final = (
    "an RFC 3339 date-time with seconds and a UTC offset, e.g. 2026-01-05T08:13:22.125Z"
)


def leap_second(value: object) -> datetime:
    """The moment of an RFC 3339 timestamp at a leap second (``23:59:60`` in UTC), kept as the
    last microsecond of its minute since Python's ``datetime`` has no second 60; anything else
    raises ``ValueError``. Reached only when the usual parse has failed."""
    if type(value) is not str or re.fullmatch(RFC3339_PATTERN, value) is None:
        raise ValueError(NOT_RFC3339)
    text = value.upper()
    if text[17:19] != "60":
        raise ValueError(NOT_RFC3339)
    moment = datetime.fromisoformat(f"{text[:17]}59{text[19:]}")
    utc = moment.astimezone(UTC)
    if (utc.hour, utc.minute) != (23, 59):
        raise ValueError(NOT_RFC3339)
    return moment.replace(microsecond=999_999)


def timestamp_core_schema(_source: Any, _handler: GetCoreSchemaHandler) -> CoreSchema:
    """Validation of ``ts``: from JSON, a string of :data:`RFC3339_PATTERN` (without second 60)
    parsed by pydantic's own datetime parser, in Rust; only a string that fails is looked at
    again as a possible leap second. From Python, an aware ``datetime``."""
    usual = cs.chain_schema(
        [
            cs.str_schema(pattern=rfc3339_pattern("[0-5][0-9]"), strict=True),
            cs.datetime_schema(strict=False, tz_constraint="aware"),
        ]
    )
    from_json = cs.union_schema(
        [usual, cs.no_info_plain_validator_function(leap_second)],
        mode="left_to_right",
        custom_error_type="rfc3339_date_time",
        custom_error_message=NOT_RFC3339,
    )
    from_python = cs.datetime_schema(strict=True, tz_constraint="aware")
    return cs.json_or_python_schema(json_schema=from_json, python_schema=from_python)


AS_INTEGER: Final = "(integer)"
AS_WHOLE_NUMBER: Final = "(whole number)"
"""The two ways a JSON integer is read (:func:`integer_core_schema`), as they appear in a
validation error's location; :func:`devices.contract.codec.schema_rejection` reports one."""


def whole_number(value: float) -> int:
    """A JSON number with an integral value (``87.0``, ``1e1``) as an ``int``; ``ValueError``
    for a fraction."""
    if not value.is_integer():
        raise ValueError("a whole number")
    return int(value)


def integer_core_schema(source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
    """Validation of a JSON integer, as JSON Schema's ``integer``: an integer (checked in
    Rust, with the field's bounds), or else a number with an integral value, turned into an
    ``int`` and checked with the same bounds. Strings and booleans fail both."""
    whole = handler(source)
    from_number = cs.chain_schema(
        [cs.float_schema(strict=True), cs.no_info_plain_validator_function(whole_number), whole]
    )
    return cs.union_schema(
        [(whole, AS_INTEGER), (from_number, AS_WHOLE_NUMBER)], mode="left_to_right"
    )


def integer_json_schema(schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
    """The published form of :func:`integer_core_schema`: the plain ``integer`` with its
    bounds (which JSON Schema already counts ``87.0`` under)."""
    integer, _way = schema["choices"][0]
    return handler(integer)


Rfc3339Timestamp = Annotated[
    datetime,
    GetPydanticSchema(timestamp_core_schema),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": RFC3339_PATTERN}),
]
"""An RFC 3339 ``date-time`` on the wire, an aware ``datetime`` in Python."""

JsonInteger = Annotated[int, GetPydanticSchema(integer_core_schema, integer_json_schema)]
"""A JSON integer: any number with an integral value, as JSON Schema's ``integer``. The usual
integer is checked without a call into Python."""
