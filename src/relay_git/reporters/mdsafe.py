"""Untrusted text (model output, file names) made safe inside GitHub-flavoured Markdown.

What GitHub would otherwise render from a model's reply or a pull request's file names:
raw HTML (``<img>`` trackers, ``</details>``, ``<!-- -->`` markers), @mentions and team
pings, images and links to any host, and fences that swallow the rest of the comment.
Here:

- ``&``, ``<``, ``>`` become entities, so no tag or HTML comment survives;
- ``@name`` gets a zero-width joiner after the ``@``, so nobody is pinged;
- images and links stay live only when they point into the repository itself
  (``https://github.com/OWNER/REPO/…``, or the Enterprise server's); any other is shown
  as its text plus the address as code, and a bare URL to another host becomes code;
- backticks, brackets and backslashes outside code are escaped, so no code span, link or
  reference definition can open and reach into text relay-git wrote;
- a fenced block is rebuilt with a fence longer than any backtick run inside it, so it
  always closes where the model's block closed (or at the end of the model's text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ZWJ = "\u200d"
_TOKEN = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<body>[^\n]*?[^`\n])(?P=ticks)(?!`))"
    r"|(?P<link>(?P<bang>!?)\[(?P<label>[^\[\]\n]*)\]\((?P<url>[^()\s]*)(?:\s+\"[^\"\n]*\")?\))"
    r"|(?P<bare>\b(?:https?://|www\.)[^\s<>`\"'()\[\]]+)",
    re.IGNORECASE,
)
_PLAIN = re.compile(r"[\\`\[\]&<>]|@(?=[A-Za-z0-9])")
_PLAIN_MAP = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "@" + ZWJ}
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#@!$&'*+,;=%]+")
_LONGEST_TICKS = re.compile(r"`+")


@dataclass(frozen=True)
class Site:
    """Where links may point: the repository's own pages on its server."""

    repo: str = ""  # OWNER/NAME; empty: no link is kept live
    server: str = "https://github.com"

    def allows(self, url: str) -> bool:
        if not self.repo or not _URL_CHARS.fullmatch(url):
            return False
        root = f"{self.server.rstrip('/')}/{self.repo}".lower()
        low = url.lower()
        return low == root or low.startswith(root + "/")


NO_LINKS = Site()


def _plain(text: str) -> str:
    return _PLAIN.sub(lambda m: _PLAIN_MAP.get(m.group(0), "\\" + m.group(0)), text)


def longest_backticks(text: str) -> int:
    return max((len(run) for run in _LONGEST_TICKS.findall(text)), default=0)


def code(text: str) -> str:
    """``text`` as one inline code span, whatever backticks it holds."""
    text = " ".join(text.splitlines()) or " "
    ticks = "`" * (longest_backticks(text) + 1)
    pad = " " if text.strip() and (text[0] in "` " or text[-1] in "` ") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _token(m: re.Match[str], site: Site) -> str:
    if m.group("code"):
        return code(m.group("body"))
    if m.group("bare"):
        url = m.group("bare")
        return url if site.allows(url) else code(url)
    url, label = m.group("url"), m.group("label")
    image = bool(m.group("bang"))
    if site.allows(url):
        return f"{'!' if image else ''}[{_plain(label)}]({url})"
    shown = _plain(label) or ("image" if image else "link")
    return f"{'image: ' if image else ''}{shown} ({code(url)})" if url else shown


def inline(text: str, site: Site = NO_LINKS) -> str:
    """One line (or paragraph) of untrusted text, safe in Markdown prose or a table cell."""
    out: list[str] = []
    last = 0
    for m in _TOKEN.finditer(text):
        out.append(_plain(text[last : m.start()]))
        out.append(_token(m, site))
        last = m.end()
    out.append(_plain(text[last:]))
    return "".join(out)


def fenced(content: str, info: str = "") -> str:
    """A fenced block that ``content`` cannot close early."""
    fence = "`" * max(3, longest_backticks(content) + 1)
    return f"{fence}{info}\n{content}\n{fence}"


def prose(text: str, site: Site = NO_LINKS) -> str:
    """Several lines of untrusted Markdown: fenced blocks rebuilt, every other line escaped."""
    lines = text.strip("\n").splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            out.append(inline(lines[i], site))
            i += 1
            continue
        marker, body = m.group(1), []
        i += 1
        while i < len(lines) and not re.fullmatch(
            rf" {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}\s*", lines[i]
        ):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence (or the end of the text)
        info = re.sub(r"[^\w+.-]", "", m.group(2).strip().split(" ")[0])[:30]
        out.append(fenced("\n".join(body), info))
    return "\n".join(out)
