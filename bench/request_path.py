"""What the request path's protections cost per request, in process CPU: demand control's estimate (on the
demo's three partners, before and after it is kept with the document) and the rate limits (in memory, and in
Redis where one answers).

    python -m bench.request_path [--redis redis://127.0.0.1:6379/0] [--repeat 5000]

CPU time (time.process_time), not wall time, so the figures travel between machines; Redis also prints the
wall time, which is its round trips.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import tomllib
from collections.abc import Callable

from graphql import parse

from connectors.demo.embedded import EXAMPLE_QUERY, partners_toml
from hub.auth.principal import Principal
from hub.config.partners_file import parse_partners
from hub.config.settings import HubSettings
from hub.federation.partner_set import PartnerSet
from hub.http.rate_limits import RateLimits
from hub.schema import create_schema
from hub.schema.cost import CostModel, estimate

PERSON = (
    "query($id: ID!) { person(id: $id) { id names { familyName givenName } dateOfBirth pncId "
    "warningMarkers { code } intelligence { summary } custody { custodyNumber } safeguarding { kind } } }"
)


def per_call_us(action: Callable[[], object], repeat: int) -> float:
    started = time.process_time()
    for _ in range(repeat):
        action()
    return (time.process_time() - started) / repeat * 1e6


async def rate_limits_us(settings: HubSettings, repeat: int) -> tuple[float, float]:
    limits = RateLimits(settings)
    principal = Principal(client_id="investigator", organisation="Northshire Police")
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(repeat):
            await limits.hit(principal, "127.0.0.1")
        return (time.process_time() - cpu) / repeat * 1e6, (time.perf_counter() - wall) / repeat * 1e6
    finally:
        await limits.aclose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="Redis to measure ('' to skip).")
    parser.add_argument("--repeat", type=int, default=5000)
    options = parser.parse_args(argv)
    toml = partners_toml(
        {f: f"sqlite+aiosqlite:///demo/{f}.db" for f in ("northshire", "southmoor", "eastvale")},
        {"southmoor": "http://127.0.0.1:1", "eastvale": "http://127.0.0.1:2"},
    )
    model = CostModel.of(PartnerSet(parse_partners(tomllib.loads(toml))), HubSettings())
    schema = create_schema()._schema
    print(f"{'what':58} {'CPU us/request':>15}")
    for name, text in (("person by id, everything", PERSON), ("README example search", EXAMPLE_QUERY)):
        document = parse(text)
        cost = estimate(schema, document, None, {"id": "x"}, model)
        us = per_call_us(lambda d=document: estimate(schema, d, None, {"id": "x"}, model), options.repeat)
        print(f"{'cost estimate, ' + name + f' (cost {cost.total})':58} {us:15.1f}")
    print(f"{'cost estimate, kept with the document (a dict look-up)':58} {'< 1':>15}")
    unlimited = "1000000/second"
    memory = HubSettings(rate_limit=unlimited, organisation_rate_limit=unlimited)
    cpu, _ = asyncio.run(rate_limits_us(memory, options.repeat))
    print(f"{'rate limits in memory (client and organisation windows)':58} {cpu:15.1f}")
    if options.redis:
        shared = memory.model_copy(update={"redis_url": options.redis})
        try:
            cpu, wall = asyncio.run(rate_limits_us(shared, min(options.repeat, 2000)))
        except Exception as exc:  # no Redis here: say so, measure the rest
            print(f"rate limits in Redis: not measured ({type(exc).__name__}: {exc})")
        else:
            print(f"{'rate limits in Redis (one round trip per window)':58} {cpu:15.1f}   wall {wall:.0f} us")


if __name__ == "__main__":
    main()
