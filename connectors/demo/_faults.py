"""The faults a demo partner can be told to show, what each does, and the switches that hold them.

`FAULT_KINDS` is the one list of fault kinds: the `/_demo/faults` endpoint, `hub demo --fault`,
`hub demo partner --fault` and `docs/demo-faults.md` all follow it. Six are played by the partner itself
(`latency` and the five `MODES`); `refused` cannot be, since a server that refuses connections cannot also
answer the request that would switch it back: whoever starts the client points it at a port where nothing
listens instead (`hub demo --fault NAME=refused` does).

`Faults` holds the switches of one partner: added latency (`latency_ms`, plus a uniform random extra of up
to `latency_jitter_ms`), and a `mode` applied to the fraction `rate` of API requests, drawn from a random
generator that `seed` makes repeatable. `error_rate` is shorthand: `{"error_rate": 0.2}` is
`{"mode": "error", "rate": 0.2}`, so `{"mode": "error"}` is an error rate of 1.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["FAULT_KINDS", "MODES", "FaultError", "Faults", "spec_body"]

#: Every fault kind, in the order the docs list them, with what it does to an API request.
FAULT_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "latency": "answers as usual, but only after latency_ms (plus up to latency_jitter_ms more)",
        "error": "answers HTTP 500 Internal Server Error",
        "malformed": "answers HTTP 200 with a body that is not JSON",
        "wrong_shape": "answers HTTP 200 with valid JSON of the wrong shape for the partner's protocol",
        "hang": "accepts the request and never answers, until the client gives up and disconnects",
        "reset": "closes the connection without answering (a TCP reset: no status line, no body)",
        "refused": "nothing listens where the client looks for the partner, so connecting is refused; "
        "set up by whoever starts the client (hub demo), not by the partner",
    }
)
#: The kinds a partner plays through `mode`, each for the fraction `rate` of API requests.
MODES = ("error", "malformed", "wrong_shape", "hang", "reset")
_KEYS = ("latency_ms", "latency_jitter_ms", "mode", "rate", "error_rate", "seed")
#: An hour: longer is a mistake, and asyncio.sleep cannot take every float.
_MAX_LATENCY_MS = 3_600_000.0
_MODE_HELP = f"one of {', '.join(MODES)}, or null for none"


class FaultError(ValueError):
    """A fault switch that cannot be set: the message says which key, why, and what would do."""


def _number(key: str, value: Any, high: float) -> float:
    # bool is an int in Python, but `true` is no number of milliseconds.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FaultError(f"{key} has value {value!r}: not a number")
    if not 0 <= value <= high:
        raise FaultError(f"{key} has value {value!r}: must be from 0 to {high:g}")
    return float(value)


def _mode(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value in MODES:
        return value
    if value == "refused":
        raise FaultError(
            "mode 'refused' cannot be switched on in a running partner: it would refuse the request that "
            "switches it off. Point the client at a port where nothing listens (hub demo --fault "
            "NAME=refused does), or use mode 'reset' to drop connections."
        )
    if value == "latency":
        raise FaultError("latency is set with latency_ms (and latency_jitter_ms), not with mode")
    raise FaultError(f"mode has value {value!r}: must be {_MODE_HELP}")


def _merged(body: Any, current: Mapping[str, Any]) -> dict[str, Any]:
    """`current` with the switches in `body` changed, or `FaultError` (nothing changes then)."""
    if not isinstance(body, Mapping):
        raise FaultError('the body must be a JSON object, e.g. {"mode": "hang"} or {"latency_ms": 200}')
    unknown = sorted(str(k) for k in set(body) - set(_KEYS))
    if unknown:
        raise FaultError(f"unknown keys {unknown}; valid keys: {', '.join(_KEYS)}")
    state = dict(current)
    for key in ("latency_ms", "latency_jitter_ms"):
        if key in body:
            state[key] = _number(key, body[key], _MAX_LATENCY_MS)
    if {"mode", "rate", "error_rate"} & body.keys():
        # The mode and its rate are one switch: a new mode without a rate applies to every request.
        mode = _mode(body.get("mode"))
        rate = _number("rate", body["rate"], 1.0) if "rate" in body else 1.0
        if "error_rate" in body:
            error_rate = _number("error_rate", body["error_rate"], 1.0)
            if "rate" in body:
                raise FaultError("give rate or error_rate, not both (error_rate is the rate of mode 'error')")
            if mode not in (None, "error"):
                raise FaultError(
                    f"error_rate is the rate of mode 'error' and cannot go with mode {mode!r}; "
                    "give rate instead"
                )
            mode, rate = ("error", error_rate) if error_rate > 0 else (None, 1.0)
        if mode is None and rate != 1.0:
            raise FaultError("rate is the fraction of requests that get the mode: give a mode too")
        state["mode"], state["rate"] = mode, rate
    if "seed" in body:
        seed = body["seed"]
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise FaultError(f"seed has value {seed!r}: must be a whole number, or null for an unseeded draw")
        state["seed"] = seed
    return state


@dataclass
class Faults:
    """One partner's fault switches. Safe to change from another thread (tests do) while it serves."""

    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    mode: str | None = None
    rate: float = 1.0
    seed: int | None = None
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self) -> None:
        _merged(self.as_dict(), {})  # the constructor's values pass the checks the endpoint makes
        self._rng.seed(self.seed)

    @classmethod
    def from_specs(cls, specs: Iterable[str]) -> Faults:
        """The switches that `KIND[:ARG]` specs (as `hub demo partner --fault` takes them) turn on."""
        faults = cls()
        faults.update(spec_body(specs))
        return faults

    def as_dict(self) -> dict[str, Any]:
        """The switches as `GET /_demo/faults` shows them (and `PUT` takes them back)."""
        return {
            "latency_ms": self.latency_ms,
            "latency_jitter_ms": self.latency_jitter_ms,
            "mode": self.mode,
            "rate": self.rate,
            "seed": self.seed,
        }

    def update(self, body: Any) -> None:
        """Change the switches that `body` names (`PATCH`); all or nothing, `FaultError` if one is invalid.

        A mode given without a rate applies to every request; the other switches keep their values.
        """
        self._set(body, self.as_dict())

    def replace(self, body: Any) -> None:
        """Set every switch (`PUT`): those that `body` leaves out are off."""
        self._set(body, Faults().as_dict())

    def clear(self) -> None:
        """Switch every fault off (`DELETE`)."""
        self.replace({})

    def _set(self, body: Any, base: Mapping[str, Any]) -> None:
        state = _merged(body, base)
        with self._lock:
            reseed = "seed" in body or state["seed"] != self.seed
            self.latency_ms, self.latency_jitter_ms = state["latency_ms"], state["latency_jitter_ms"]
            self.mode, self.rate, self.seed = state["mode"], state["rate"], state["seed"]
            if reseed:
                self._rng.seed(self.seed)

    def draw(self) -> tuple[float, str | None]:
        """For one API request: the milliseconds to wait before answering, and the mode to answer in."""
        with self._lock:
            delay, mode = self.latency_ms, self.mode
            if self.latency_jitter_ms:
                delay += self._rng.uniform(0.0, self.latency_jitter_ms)
            if mode is not None and self.rate < 1.0 and self._rng.random() >= self.rate:
                mode = None
        return delay, mode


def _spec(spec: str) -> dict[str, Any]:
    kind, _, arg = spec.strip().partition(":")
    if kind not in FAULT_KINDS:
        raise FaultError(f"unknown fault kind {kind!r}; the kinds are {', '.join(FAULT_KINDS)}")
    if kind == "refused":
        raise FaultError(
            "'refused' is not played by the partner (it could not be switched off again): "
            "hub demo --fault NAME=refused points the hub at a port where nothing listens"
        )
    if kind == "latency":
        low, dash, high = arg.partition("-")
        try:
            body: dict[str, Any] = {"latency_ms": float(low)}
            if dash:
                body["latency_jitter_ms"] = float(high) - body["latency_ms"]
        except ValueError:
            raise FaultError(
                f"{spec!r}: latency needs milliseconds, latency:MS or latency:LOW-HIGH (e.g. latency:2000)"
            ) from None
        if body.get("latency_jitter_ms", 0.0) < 0:
            raise FaultError(f"{spec!r}: in latency:LOW-HIGH, HIGH must not be below LOW")
        _merged(body, {})
        return body
    if not arg:
        return {"mode": kind}
    try:
        rate = float(arg)
    except ValueError:
        raise FaultError(f"{spec!r}: the part after ':' is the fraction of requests, from 0 to 1") from None
    body = {"mode": kind, "rate": rate}
    _merged(body, {})
    return body


def spec_body(specs: Iterable[str]) -> dict[str, Any]:
    """The `/_demo/faults` body that turns on the faults of `specs`, each `KIND[:ARG]`:

        latency:MS           every answer MS milliseconds late
        latency:LOW-HIGH     late by a uniformly random LOW to HIGH milliseconds
        MODE                 error, malformed, wrong_shape, hang or reset, on every API request
        MODE:RATE            the same, on the fraction RATE (0 to 1) of API requests

    One latency and one mode may be combined; `FaultError` says what is wrong with any other spec.
    """
    body: dict[str, Any] = {}
    for spec in specs:
        part = _spec(spec)
        clash = ("mode" in part and "mode" in body) or ("latency_ms" in part and "latency_ms" in body)
        if clash:
            raise FaultError(f"{spec!r}: one partner takes one latency and one mode, not two of either")
        body.update(part)
    return body
