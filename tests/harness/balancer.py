"""nginx in front of `duban run --webhook` processes on 127.0.0.1, for tests and benchmarks.

nginx runs with deploy/nginx.conf copied unchanged into a temporary prefix; only its two
includes are written here (the workers' ports, and a plain-HTTP listen on a free port).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Final

import httpx

DEPLOY: Final = Path(__file__).resolve().parents[2] / "deploy"
START_TIMEOUT_S: Final = 60.0
STOP_TIMEOUT_S: Final = 30.0


def nginx_binary() -> str | None:
    """Debian's nginx, if installed (.ci/run installs it)."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def free_port() -> int:
    """A port of 127.0.0.1 nobody listens on right now."""
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _until_listening(port: int, proc: asyncio.subprocess.Process, what: str) -> None:
    async with asyncio.timeout(START_TIMEOUT_S):
        while True:
            if proc.returncode is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode} before listening")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return


@contextlib.asynccontextmanager
async def balancer(worker_ports: Sequence[int]) -> AsyncIterator[str]:
    """nginx balancing over the workers' ports; yields its base URL (http://127.0.0.1:PORT)."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    with tempfile.TemporaryDirectory(prefix="duban-nginx-") as prefix:
        root = Path(prefix)
        shutil.copy(DEPLOY / "nginx.conf", root / "nginx.conf")
        (root / "tmp").mkdir()
        (root / "duban-workers.conf").write_text(
            "".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n" for p in worker_ports)
        )
        port = free_port()
        (root / "duban-listen.conf").write_text(f"listen 127.0.0.1:{port};\n")
        proc = await asyncio.create_subprocess_exec(
            binary,
            "-p",
            f"{root}/",
            "-c",
            str(root / "nginx.conf"),
            "-g",
            "daemon off;",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=(root / "error.log").open("wb"),
        )
        try:
            await _until_listening(port, proc, "nginx")
            yield f"http://127.0.0.1:{port}"
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGQUIT)  # graceful: finish the requests in hand
                try:
                    await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


class WorkerProcess:
    """One `duban run --webhook URL --port N` process, its output in files."""

    def __init__(self, folder: Path, name: str, port: int) -> None:
        self.port = port
        self.name = name
        self.stdout_path = folder / f"{name}.stdout"
        self.stderr_path = folder / f"{name}.stderr"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, env: dict[str, str], cwd: Path, webhook_url: str) -> None:
        """Start it; returns once its web app answers /healthz."""
        with self.stdout_path.open("wb") as stdout, self.stderr_path.open("wb") as stderr:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "--webhook",
                webhook_url,
                "--port",
                str(self.port),
                cwd=cwd,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,  # its worker processes die with it (as systemd does)
            )
        try:
            await _until_listening(self.port, self.proc, f"worker {self.name}")
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}:\n{self.output()}") from exc
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"http://127.0.0.1:{self.port}/healthz")
            answer.raise_for_status()

    def output(self) -> str:
        """What it wrote so far (stdout, then stderr)."""
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(
            errors="replace"
        )

    def kill(self) -> None:
        """SIGKILL to the worker and its worker processes: gone at once, as on a crash."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    async def stop(self) -> int:
        """SIGTERM, then wait (SIGKILL if it does not stop in time); its exit code."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                self.kill()
                await self.proc.wait()
                return -9
        return int(self.proc.returncode or 0)
