"""wrk as the load generator: a C program that keeps many connections busy from one thread, so the machine's
cores go to the hub rather than to the benchmark's own Python.

`run_wrk` writes a Lua script to a temporary file that posts the GraphQL bodies in turn with the token and
purpose headers, reads each response's error codes, partner calls, slowest partner latency and
`Server-Timing` audit duration (with patterns, not a JSON parser: wrk's Lua has none), and at the end
prints one JSON line that this module parses, with wrk's own latency percentiles (the same figures
`wrk --latency` prints as its distribution, at full precision).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["WrkRun", "run_wrk", "wrk_path"]

_MARK = "BENCH-WRK-JSON "
#: Most per-response figures each wrk thread keeps for percentiles (the counts cover every response).
_CAP = 500_000

_SCRIPT = r"""
local bodies = { %(bodies)s }
local headers = { %(headers)s }
local threads = {}

function setup(thread) table.insert(threads, thread) end

function init(args)
  n = 0; responses = 0; calls = 0; with_errors = 0; without_data = 0
  codes = {}; audit = {}; slowest = {}
end

function request()
  n = n %% #bodies + 1
  return wrk.format("POST", "/graphql", headers, bodies[n])
end

function response(status, hdrs, body)
  responses = responses + 1
  local worst = 0
  for c in body:gmatch('"calls":(%%d+)') do calls = calls + tonumber(c) end
  for ms in body:gmatch('"latencyMs":([%%d.]+)') do
    local v = tonumber(ms); if v > worst then worst = v end
  end
  if #slowest < %(cap)d then slowest[#slowest + 1] = worst end
  local timing = hdrs["server-timing"] or hdrs["Server-Timing"]
  local dur = timing and timing:match("audit;dur=([%%d.]+)")
  if dur and #audit < %(cap)d then audit[#audit + 1] = tonumber(dur) end
  if not body:find('"data":{', 1, true) then without_data = without_data + 1 end
  local e = body:find('"errors":[', 1, true)
  if e then
    -- Only the errors' codes: stop where the data (warning markers have codes too) or the extensions start.
    with_errors = with_errors + 1
    local stop = #body
    local d = body:find('"data":', e, true); if d then stop = d end
    local x = body:find('"extensions":{"partners"', e, true); if x and x < stop then stop = x end
    for code in body:sub(e, stop):gmatch('"code":"([%%w_]+)"') do codes[code] = (codes[code] or 0) + 1 end
  end
end

local function list(values) return "[" .. table.concat(values, ",") .. "]" end

function done(summary, latency, requests)
  local total = { responses = 0, calls = 0, with_errors = 0, without_data = 0 }
  local all_codes, all_audit, all_slowest = {}, {}, {}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(total) do total[key] = total[key] + thread:get(key) end
    for code, count in pairs(thread:get("codes")) do all_codes[code] = (all_codes[code] or 0) + count end
    for _, v in ipairs(thread:get("audit")) do all_audit[#all_audit + 1] = v end
    for _, v in ipairs(thread:get("slowest")) do all_slowest[#all_slowest + 1] = v end
  end
  local code_parts = {}
  for code, count in pairs(all_codes) do
    code_parts[#code_parts + 1] = string.format('"%%s":%%d', code, count)
  end
  local pct = {}
  for _, p in ipairs({ 50, 90, 95, 99, 99.9 }) do
    pct[#pct + 1] = string.format('"%%s":%%d', tostring(p), latency:percentile(p))
  end
  local e = summary.errors
  io.write("%(mark)s", string.format(
    '{"requests":%%d,"duration_us":%%d,"responses":%%d,"calls":%%d,"with_errors":%%d,"without_data":%%d,'
      .. '"socket_errors":{"connect":%%d,"read":%%d,"write":%%d,"timeout":%%d},"non_2xx":%%d,'
      .. '"max_us":%%d,"percentiles_us":{%%s},"codes":{%%s},"audit_ms":%%s,"slowest_partner_ms":%%s}\n',
    summary.requests, summary.duration, total.responses, total.calls, total.with_errors, total.without_data,
    e.connect, e.read, e.write, e.timeout, e.status, latency.max, table.concat(pct, ","),
    table.concat(code_parts, ","), list(all_audit), list(all_slowest)))
end
"""


@dataclass
class WrkRun:
    """What one wrk run measured."""

    requests: int
    seconds: float
    percentiles_ms: dict[str, float]
    max_ms: float
    responses: int
    partner_calls: int
    with_errors: int
    without_data: int
    non_2xx: int
    socket_errors: dict[str, int]
    codes: dict[str, int]
    audit_ms: list[float] = field(default_factory=list)
    slowest_partner_ms: list[float] = field(default_factory=list)
    command: str = ""


def wrk_path() -> str | None:
    return shutil.which("wrk")


def _lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def run_wrk(
    url: str,
    headers: Mapping[str, str],
    bodies: Sequence[dict[str, Any]],
    connections: int,
    duration: float,
    threads: int = 1,
) -> WrkRun:
    """Post `bodies` in turn to `url` (the hub's `/graphql`) from `connections` connections, `duration` s."""
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    script = _SCRIPT % {
        "bodies": ",\n  ".join(_lua_string(json.dumps(b, separators=(",", ":"))) for b in bodies),
        "headers": ", ".join(
            f"[ {_lua_string(k)} ] = {_lua_string(v)}"
            for k, v in {"Content-Type": "application/json", **headers}.items()
        ),
        "cap": _CAP,
        "mark": _MARK,
    }
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as scratch:
        path = Path(scratch) / "graphql.lua"
        path.write_text(script, encoding="utf-8")
        command = [wrk, f"-t{max(1, min(threads, connections))}", f"-c{connections}", f"-d{duration:g}s"]
        command += ["--timeout", "30s", "--latency", "-s", str(path), url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(_MARK)), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line[len(_MARK) :])
    return WrkRun(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        percentiles_ms={k: v / 1000 for k, v in raw["percentiles_us"].items()},
        max_ms=raw["max_us"] / 1000,
        responses=raw["responses"],
        partner_calls=raw["calls"],
        with_errors=raw["with_errors"],
        without_data=raw["without_data"],
        non_2xx=raw["non_2xx"],
        socket_errors=raw["socket_errors"],
        codes=raw["codes"],
        audit_ms=raw["audit_ms"],
        slowest_partner_ms=raw["slowest_partner_ms"],
        command=" ".join([*command[:-3], "-s", "<script>", url]),
    )
