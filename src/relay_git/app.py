"""The composition root: configuration, repository, ledger and backends built once per command."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from relay_git.config import Config, Resolved, load, resolve, with_flags
from relay_git.errors import UsageError
from relay_git.git.attributes import generated_at
from relay_git.git.repo import Repository
from relay_git.models.base import Backend, BackendOptions, backend_type, create, parse_spec
from relay_git.models.ledger import Ledger
from relay_git.review.cache import Cache
from relay_git.review.engine import Generated, Reviewer, ReviewSettings
from relay_git.review.filtermode import FilterMode

BackendFactory = Callable[[str], Backend]
# What build_at_commit reads from the trusted commit: settings and prompt templates.
TRUSTED_FILES = (".relay-git.toml", "pyproject.toml", ".relay-git/templates")


@dataclass
class App:
    config: Config
    environ: Mapping[str, str]
    repo: Repository | None
    ledger: Ledger
    make_backend: BackendFactory
    resolved: Resolved | None = None  # sources, trust and notices; None when built by hand

    @property
    def templates_dir(self) -> Path | None:
        """A configured folder (relative: from the repository's root), else the repository's
        overrides; a folder inside the repository only once the repository is trusted."""
        if self.resolved is not None:
            return self.resolved.templates
        return Path(self.config.templates_dir) if self.config.templates_dir else None

    @property
    def notices(self) -> tuple[str, ...]:
        return self.resolved.notices if self.resolved is not None else ()

    def is_local(self, spec: str) -> bool:
        """Whether ``spec``'s model runs on this machine, as configured: its backend's
        answer (the type's ``is_local``), the same one the built model gives."""
        parsed = parse_spec(spec)
        return backend_type(parsed).is_local(backend_options(self.config, self.environ))

    def require_repo(self) -> Repository:
        if self.repo is None:
            raise UsageError("not inside a git repository", "run it in a repository, or `git init`")
        return self.repo

    def _generated(self, base: str | None) -> Generated | None:
        repo = self.repo
        if base is None or repo is None:
            return None
        return lambda paths: generated_at(repo, base, paths)

    def cache(self, enabled: bool = True) -> Cache | None:
        if not enabled or self.repo is None:
            return None
        return Cache(self.repo.state_dir / "cache")

    def reviewer(
        self,
        *,
        use_cache: bool = True,
        progress: Callable[[str], None] | None = None,
        max_output_tokens: int = 1024,
        stage: str = "review",
        filter_mode: FilterMode = FilterMode.ADDED,
        base: str | None = None,
    ) -> Reviewer:
        """The reviewer; ``base``: the commit whose ``linguist-generated`` attributes say
        which changed files are generated (none without it)."""
        cfg = self.config
        settings = ReviewSettings(
            reviewer=cfg.reviewer,
            exclude=cfg.exclude,
            secret_patterns=cfg.secret_patterns,
            max_files=cfg.max_files,
            jobs=cfg.jobs,
            max_output_tokens=max_output_tokens,
            templates_dir=self.templates_dir,
            stage=stage,
            local=self.is_local(cfg.reviewer),
            filter_mode=filter_mode,
            generated=self._generated(base),
        )
        return Reviewer(
            settings,
            lambda: self.make_backend(cfg.reviewer),
            self.ledger,
            self.cache(use_cache),
            progress,
        )


def backend_options(config: Config, environ: Mapping[str, str]) -> BackendOptions:
    return BackendOptions(
        environ=environ,
        openai_base_url=config.openai_base_url,
        timeout=config.timeout,
        max_context=config.max_context,
    )


def default_backend_factory(config: Config, environ: Mapping[str, str]) -> BackendFactory:
    options = backend_options(config, environ)
    built: dict[str, Backend] = {}

    def make(spec: str) -> Backend:
        if spec not in built:
            built[spec] = create(spec, options)
        return built[spec]

    return make


def build(
    cwd: Path,
    environ: Mapping[str, str],
    overrides: Mapping[str, object],
    make_backend: BackendFactory | None = None,
    need_repo: bool = False,
) -> App:
    try:
        repo: Repository | None = Repository.discover(cwd)
    except UsageError:
        if need_repo:
            raise
        repo = None
    resolved = resolve(repo.root if repo else None, environ, overrides)
    factory = make_backend or default_backend_factory(resolved.config, environ)
    return App(resolved.config, environ, repo, Ledger(), factory, resolved)


def build_at_commit(
    repo: Repository,
    commit: str,
    scratch: Path,
    environ: Mapping[str, str],
    overrides: Mapping[str, object],
    make_backend: BackendFactory | None = None,
    *,
    local: bool = False,
    exclude: tuple[str, ...] = (),
) -> App:
    """The App with settings and templates read from ``commit``, never from the work tree.

    The base-commit variant for the GitHub Action: the checkout holds the pull request's
    files, so TRUSTED_FILES are copied out of ``commit`` (which must exist) into
    ``scratch`` and loaded from there, trusted. ``local`` selects the packaged reviewer.
    """
    names = repo.git("ls-tree", "-r", "-z", "--name-only", commit, "--", *TRUSTED_FILES)
    for name in filter(None, names.split("\0")):
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(repo.git("show", f"{commit}:{name}"), encoding="utf-8")
    changes = dict(overrides, templates_dir=str(scratch / ".relay-git" / "templates"))
    if local:
        from relay_git.models.local import local_specs

        changes["reviewer"] = changes.get("reviewer") or local_specs()[1]
    config = with_flags(load(scratch, environ, trusted=True), **changes)
    if exclude:
        config = with_flags(config, exclude=config.exclude + exclude)
    factory = make_backend or default_backend_factory(config, environ)
    return App(config, environ, repo, Ledger(), factory)
