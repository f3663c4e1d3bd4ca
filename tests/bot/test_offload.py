"""Heavy jobs run in another process; asking twice at once shares one job, asking again runs it
again."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from bot.offload import Offload
from tests.factories.jobs import stamp


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
