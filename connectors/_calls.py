"""Running a connector's requests concurrently, all or none: the shared helper of the built-in kinds."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["all_or_none"]

T = TypeVar("T")


async def all_or_none(calls: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Await every call concurrently; on the first failure cancel the rest, reap them, and raise it."""
    if len(calls) == 1:
        return [await calls[0]]
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # reap them, so none fails unobserved
        raise
