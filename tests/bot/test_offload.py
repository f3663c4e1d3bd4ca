"""Heavy jobs run in another process; asking twice at once shares one job, asking again runs it
again."""

from __future__ import annotations

import asyncio
import gc
import os
import weakref
from collections.abc import Iterator

import pytest

from bot.offload import JOBS_PER_WORKER, Offload, run_job
from tests.factories.jobs import mark_warmed, stamp, warmed


@pytest.fixture
def offload() -> Iterator[Offload]:
    pool = Offload(workers=2)
    yield pool
    pool.shutdown()


async def test_jobs_run_in_a_worker_process(offload: Offload) -> None:
    pid, _moment = await offload.run("a", stamp, 0.0)
    assert pid != os.getpid()


async def test_two_asking_at_once_share_one_job_then_it_runs_anew(offload: Offload) -> None:
    first, second = await asyncio.gather(
        offload.run("export", stamp, 0.3), offload.run("export", stamp, 0.3)
    )
    assert first == second  # one job, one result
    third = await offload.run("export", stamp, 0.0)
    assert third != first  # a finished job is not handed out again
    other, again = await asyncio.gather(offload.run("x", stamp, 0.2), offload.run("y", stamp, 0.2))
    assert other != again  # different keys are different jobs


async def test_every_worker_is_warmed_even_one_that_replaces_another() -> None:
    pool = Offload(workers=1)
    pool.warm(mark_warmed)
    try:
        seen = [await pool.run(n, warmed) for n in range(JOBS_PER_WORKER + 1)]
    finally:
        pool.shutdown()
    pids = {pid for pid, _mark in seen}
    assert len(pids) == 2  # the first worker was replaced after its share of jobs
    assert all(mark == str(pid) for pid, mark in seen)  # each warmed in its own process


class _Node:
    """Something that refers to itself: only the cyclic collector frees it."""

    me: object


def test_a_job_runs_without_the_cyclic_collector_and_what_it_left_is_collected_after() -> None:
    seen: dict[str, object] = {}

    async def job() -> int:
        node = _Node()
        node.me = node
        seen["node"] = weakref.ref(node)
        seen["collecting"] = gc.isenabled()
        return 7

    assert run_job(job()) == 7
    assert seen["collecting"] is False  # paused while the job ran
    assert gc.isenabled()  # and back on after it
    node = seen["node"]
    assert isinstance(node, weakref.ref) and node() is None  # the job's cycle was collected
