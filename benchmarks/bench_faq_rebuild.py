"""Rebuilding a school's FAQ engine after the deputy adds an entry in the chat.

Run: ``python benchmarks/bench_faq_rebuild.py`` from the repository root. Prints, in the
same run, what the service does (rebuild one school's engine over the already parsed
bundled base plus its entries and a new one; the learned classifier is the bundled data's, shared
by every school since issue 17's round fourteen, so a school's phrasings never retrain it) beside the
naive ways: re-reading kb.toml for every rebuild, and rebuilding every school's engine on each change
(a district of 30 schools).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCHOOLS = 30
REPEAT = 7


def _entries(count: int) -> list[dict[str, object]]:
    """`count` school entries: some override bundled topics (each once), the rest are new topics."""
    bundled = ["contact", "login_code", "invite", "calls", "ejd", "admin", "privacy", "rules"]
    found: list[dict[str, object]] = []
    for number in range(count):
        if number % 2 == 0 and number // 2 < len(bundled):
            found.append({"id": bundled[number // 2], "answer": f"Ответ школы №{number}",
                          "examples": [f"вопрос школы номер {number} про кабинет {number}"]})
        else:
            found.append({"id": f"school_topic_{number}", "title": f"Тема школы {number}",
                          "answer": f"Ответ школы №{number}",
                          "examples": [f"как быть с оборудованием {number} в кабинете {number}"]})
    return found


def _time(func: Callable[[], object]) -> float:
    timings = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        func()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> int:
    from bot.faq import FaqEngine, load_knowledge_base

    start = time.perf_counter()
    base = load_knowledge_base()
    FaqEngine(base)
    print(f"first engine (pymorphy3 dictionaries, kb.toml, index): {time.perf_counter() - start:.3f} s\n")
    added = iter(range(10**6))

    def with_new_entry(entries: list[dict[str, object]]) -> list[dict[str, object]]:
        # A new phrasing each time, as when the deputy adds an entry: the classifier retrains.
        number = next(added)
        return [*entries, {"id": f"new_{number}", "title": f"Новая тема {number}",
                           "answer": "Ответ.", "examples": [f"новый вопрос школы {number}"]}]

    for count in (0, 10, 50):
        entries = _entries(count)
        one = _time(lambda entries=entries: FaqEngine.build(base, with_new_entry(entries)))
        same = _time(lambda entries=entries: FaqEngine.build(base, entries))
        reread = _time(lambda entries=entries: FaqEngine.load(extra=with_new_entry(entries)))
        print(f"{count:>3} school entries: rebuild one school {one:7.1f} ms   "
              f"(same phrasings, classifier shared: {same:6.1f} ms)   "
              f"naive re-read kb.toml {reread:7.1f} ms   "
              f"naive rebuild all {SCHOOLS} schools {one * SCHOOLS:8.1f} ms")
    engine = FaqEngine.build(base, _entries(50))
    ask = _time(lambda: engine.ask("проектор в кабинете 7 не работает"))
    print(f"\nquestion on an engine with 50 school entries: {ask:.2f} ms (median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
