from __future__ import annotations

from relay_git.cli import main

raise SystemExit(main())
