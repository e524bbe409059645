"""Fixtures for the hardening suite: a watch on every program relay-git starts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.hardening.execlog import Recorder, audit, make_shims, shim_log


@pytest.fixture(scope="session")
def shim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("shims")
    assert make_shims(directory, os.environ["PATH"]) > 0
    return directory


@dataclass
class ExecWatch:
    recorder: Recorder
    log: Path

    def programs(self) -> set[str]:
        """Every program started, in this process or below it."""
        return self.recorder.programs() | set(shim_log(self.log))


@pytest.fixture
def exec_watch(
    shim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ExecWatch]:
    log = tmp_path / "exec.log"
    monkeypatch.setenv("PATH", f"{shim_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("RELAY_SHIM_LOG", str(log))
    with audit() as recorder:
        yield ExecWatch(recorder, log)
