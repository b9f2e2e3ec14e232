"""Signing the centre's messages with a session's secret (HMAC-SHA256).

A training session's state, incidents, action results, operator actions and control commands
carry ``sig``: the HMAC-SHA256 of the message's JSON without ``sig``, keyed with the session's
secret. Only the session's own process (and a trainer who holds the secret) can make a valid
one, so a message from anyone else on the broker, or one replayed from another session's
recording, is told apart and ignored. The JSON is the model's own serialisation, so signer and
checker compute the same bytes from the same validated message.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TypeVar

from pydantic import BaseModel

Signed = TypeVar("Signed", bound=BaseModel)


def signature(message: BaseModel, key: bytes) -> str:
    """The hex HMAC-SHA256 of ``message`` without its ``sig`` field."""
    body = message.model_dump_json(exclude={"sig"}).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def signed(message: Signed, key: bytes) -> Signed:
    """``message`` with its ``sig`` set."""
    return message.model_copy(update={"sig": signature(message, key)})


def verified(message: BaseModel, key: bytes) -> bool:
    """Whether ``message`` carries a valid signature for ``key`` (constant-time compare)."""
    sig = getattr(message, "sig", "")
    return isinstance(sig, str) and hmac.compare_digest(sig, signature(message, key))
