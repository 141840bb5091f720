"""Text search over task titles and details.

Terms of three or more characters: ``icontains`` on title and detail, served on PostgreSQL by
trigram GIN indexes (migration 0002). Shorter terms — most Chinese words are two characters
(公路, 扶贫) — yield no trigram, so PostgreSQL would scan the table; for them the services keep
``Task.search_bigrams``, the distinct character pairs of the text, space-separated, and a term is
matched as a whole token (`LIKE '% 公路 %'`), which the trigram index on that column serves
(migration 0004). SQLite uses the same two rules (results must not depend on the database) and
scans either way, which is fine at its scale.
"""

from __future__ import annotations

import re

from django.db.models import Q

MAX_BIGRAMS_CHARS = 30000
_SPACE = re.compile(r"\s+")


def bigrams(*texts: str) -> str:
    """' ab bc cd d ' for 'abcd': every distinct adjacent pair (lower-cased, whitespace removed)
    and the last character alone, so a one-character term matches as a token prefix."""
    seen: dict[str, None] = {}
    for text in texts:
        compact = _SPACE.sub("", (text or "").lower())
        for i in range(len(compact) - 1):
            seen.setdefault(compact[i:i + 2], None)
        if compact:
            seen.setdefault(compact[-1], None)
    out = " " + " ".join(seen) + " "
    return out[:MAX_BIGRAMS_CHARS] if len(out) > MAX_BIGRAMS_CHARS else out


def text_q(term: str) -> Q:
    term = (term or "").strip()
    if not term:
        return Q()
    compact = _SPACE.sub("", term.lower())
    if 0 < len(compact) <= 2:  # the same rule on every database, so results never differ
        return Q(search_bigrams__contains=f" {compact} " if len(compact) == 2 else f" {compact}")
    return Q(title__icontains=term) | Q(detail__icontains=term)
