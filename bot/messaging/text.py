"""Long texts cut into messages a messenger accepts: at paragraphs, then lines, then words."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_PARAGRAPH_RE = re.compile(r"\n[ \t]*\n")


def _hard_cut(text: str, limit: int) -> list[str]:
    return [text[i:i + limit] for i in range(0, len(text), limit)]


def _pack(pieces: Sequence[str], sep: str, limit: int, finer: Iterable[str]) -> list[str]:
    """Greedily join `pieces` with `sep` into chunks ≤ limit, splitting oversized pieces finer."""
    finer = list(finer)
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        parts = [piece] if len(piece) <= limit else _split(piece, limit, finer)
        for part in parts:
            candidate = part if not current else current + sep + part
            if len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    chunks.append(current)
                current = part
    if current:
        chunks.append(current)
    return chunks


def _split(text: str, limit: int, levels: Sequence[str]) -> list[str]:
    if len(text) <= limit:
        return [text]
    if not levels:
        return _hard_cut(text, limit)
    level, rest = levels[0], levels[1:]
    if level == "paragraph":
        pieces = [p.strip("\n") for p in _PARAGRAPH_RE.split(text)]
        return _pack([p for p in pieces if p.strip()], "\n\n", limit, rest)
    if level == "line":
        return _pack([p for p in text.split("\n") if p.strip()], "\n", limit, rest)
    return _pack([p for p in text.split(" ") if p], " ", limit, rest)


def split_text(text: str, limit: int = 4096) -> list[str]:
    """Split a long message at paragraph boundaries, then lines, then words (then hard).

    Text within the limit comes back unchanged as one chunk; empty text gives `[""]`.
    """
    if len(text) <= limit:
        return [text]
    return _split(text, limit, ("paragraph", "line", "word")) or [""]
