"""A real server process (``python -m board serve``) that tests can kill hard and restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

DEADLINE = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``python -m board serve`` as deployed; can be killed hard and started again."""

    def __init__(
        self,
        data_dir: Path,
        program: Sequence[str] = (sys.executable, "-m", "board"),
        environment: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        arguments: Sequence[str] = (),
    ) -> None:
        self.data_dir = data_dir
        self.program = list(program)
        self.environment = os.environ if environment is None else environment
        self.cwd = cwd
        self.arguments = list(arguments)  # more of `serve`'s flags, e.g. --workers 2
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / "server.log"

    def start(self) -> None:
        env = dict(self.environment) | {
            "BOARD_SECRET_KEY": "browser-test-key",
            "BOARD_CARDS_PER_MINUTE": "1000",
            "BOARD_REQUESTS_PER_MINUTE": "10000",
        }
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *self.program,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--data",
                    str(self.data_dir),
                    *self.arguments,
                ],
                env=env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not become healthy")

    def kill_hard(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
