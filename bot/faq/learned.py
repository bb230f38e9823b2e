"""A learned topic classifier: multinomial logistic regression over the phrasings and questions.

The lexical engine matches a question against the phrasings word by word; this classifier
learns from the same phrasings, and from teachers' questions labelled with their topic
(bot/faq/questions.py), which words and word parts tell the topics apart, so that it
generalises to wordings no phrasing has. The model of the bundled data is saved in the
package (`bundled_model_path`) and read at start, and every school's engine shares it; bundled
data changed since the save is trained on at start. Features of a text (its content lemmas, synonyms
already applied): lemma unigrams and bigrams, and character 2–5-grams of each lemma padded
with spaces (robust to typos and unseen word forms); each group TF-IDF weighted (sublinear
TF, smoothed IDF) and L2-normalised. Training minimises the L2-regularised cross-entropy
with L-BFGS from zero weights: no randomness, so the same data gives the same model.

scikit-learn's `LogisticRegression` over `TfidfVectorizer` gives the same model; it is not
used because importing it costs about 0.5–0.9 s of the 1.5 s start budget (see
benchmarks/bench_faq.py, which measures both in one run).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.sparse import csr_matrix
from threadpoolctl import threadpool_limits

#: Lengths of the character n-grams taken inside each (space-padded) lemma.
CHAR_NGRAMS = range(2, 6)
#: Iteration cap of L-BFGS; on the bundled data the fit stops after about 20.
MAX_ITERATIONS = 100
#: Stop when the largest gradient component (of the per-sample objective) falls below this.
#: 1e-4 takes twice the iterations and scored the same on the tuning sets.
GRADIENT_TOLERANCE = 1e-3
#: Version of the saved model's layout and of the features above; a saved model of another
#: version is never loaded.
MODEL_FORMAT = 1

Samples = tuple[tuple[tuple[str, ...], str, float], ...]


def bundled_model_path() -> Path:
    """The model trained on the bundled data, shipped with the bot (rebuilt by
    `python -m bot.faq.build_model`)."""
    return Path(str(resources.files("bot.faq").joinpath("classifier.npz")))


def _digest(data: object, c: float) -> str:
    """SHA-256 of `data` (JSON-serialisable) with `c` and the feature layout."""
    payload = json.dumps([MODEL_FORMAT, CHAR_NGRAMS.start, CHAR_NGRAMS.stop, c, data], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def inputs_key(texts: object, c: float) -> str:
    """A digest of what the samples are made from (texts, labels and how words become
    lemmas; JSON-serialisable): with it the saved model is found without lemmatising the
    thousands of labelled questions. That the samples themselves, and so `samples_key`, are
    still the same is what tests/faq/test_learned.py checks; code that lemmatises differently
    changes them without changing these inputs."""
    return _digest(texts, c)


def samples_key(samples: Samples, c: float) -> str:
    """A digest of everything a fit depends on: the samples, their weights, `c` and the
    feature layout. A saved model is used only for samples with this very key."""
    return _digest(samples, c)


def features(lemmas: Sequence[str]) -> tuple[Counter[str], Counter[str]]:
    """Word features (lemmas and adjacent pairs) and character n-grams of a lemma list."""
    words: Counter[str] = Counter(lemmas)
    words.update(f"{a} {b}" for a, b in zip(lemmas, lemmas[1:], strict=False))
    chars: Counter[str] = Counter()
    for lemma in lemmas:
        padded = f" {lemma} "
        for size in CHAR_NGRAMS:
            chars.update(padded[i : i + size] for i in range(len(padded) - size + 1))
    return words, chars


def _weighted(counts: Counter[str], index: dict[str, int], idf: np.ndarray) -> dict[int, float]:
    """Sublinear TF times IDF over the known features, L2-normalised."""
    row = {index[f]: (1.0 + math.log(n)) * float(idf[index[f]]) for f, n in counts.items() if f in index}
    norm = math.sqrt(sum(v * v for v in row.values()))
    return {k: v / norm for k, v in row.items()} if norm else {}


@dataclass(frozen=True)
class TopicClassifier:
    """Class probabilities of a text's lemmas; train with `TopicClassifier.train`."""

    labels: tuple[str, ...]
    word_index: dict[str, int]
    char_index: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray
    bias: np.ndarray

    @classmethod
    def train(
        cls, samples: Sequence[tuple[Sequence[str], str]], c: float, weights: Sequence[float] | None = None
    ) -> TopicClassifier | None:
        """A classifier over `(lemmas, label)` samples with inverse regularisation strength `c`;
        None when there is nothing to tell apart (fewer than two labels). `weights` (one per
        sample, 1 by default) scale each sample's share of the loss.

        The same samples give the same model, so it is trained once for them.
        The bundled data's model is not trained at all but read from `bundled_model_path()`
        when that file was saved for these very samples (a fit takes seconds).
        """
        return _trained(as_samples(samples, weights), c)

    @classmethod
    def fit(
        cls, samples: Sequence[tuple[Sequence[str], str]], c: float, weights: Sequence[float] | None = None
    ) -> TopicClassifier | None:
        """Like `train`, always training anew."""
        labels = tuple(sorted({label for _, label in samples}))
        if len(labels) < 2:
            return None
        parsed = [features(lemmas) for lemmas, _ in samples]
        word_df: Counter[str] = Counter(f for words, _ in parsed for f in words)
        char_df: Counter[str] = Counter(f for _, chars in parsed for f in chars)
        word_index = {f: n for n, f in enumerate(sorted(word_df))}
        char_index = {f: n + len(word_index) for n, f in enumerate(sorted(char_df))}
        total = len(samples)
        df = [word_df[f] for f in sorted(word_df)] + [char_df[f] for f in sorted(char_df)]
        idf = np.log((1.0 + total) / (1.0 + np.asarray(df, dtype=np.float64))) + 1.0
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        for number, (words, chars) in enumerate(parsed):
            for group, index in ((words, word_index), (chars, char_index)):
                for col, value in _weighted(group, index, idf).items():
                    rows.append(number)
                    cols.append(col)
                    values.append(value)
        matrix = csr_matrix((values, (rows, cols)), shape=(total, len(df)))
        target = np.zeros((total, len(labels)))
        position = {label: n for n, label in enumerate(labels)}
        target[np.arange(total), [position[label] for _, label in samples]] = 1.0
        scale = np.ones(total) if weights is None else np.asarray(weights, dtype=np.float64)
        found, bias = _fit(matrix, target, c, scale)
        return cls(labels, word_index, char_index, idf, found, bias)

    def save(self, path: Path, key: str, inputs: str = "") -> None:
        """Write the model to `path` (a NumPy .npz archive) under `key` (see samples_key) and
        `inputs` (see inputs_key)."""
        np.savez_compressed(
            path,
            key=np.array(key),
            inputs=np.array(inputs),
            labels=np.array(self.labels),
            words=np.array(sorted(self.word_index, key=self.word_index.__getitem__)),
            chars=np.array(sorted(self.char_index, key=self.char_index.__getitem__)),
            idf=self.idf,
            weights=self.weights,
            bias=self.bias,
        )

    @classmethod
    def load(cls, path: Path, key: str, field: str = "key") -> TopicClassifier | None:
        """The model saved at `path` under `key` (or, with `field="inputs"`, under that inputs
        key); None when the file is missing, unreadable or was saved for other samples."""
        saved = _read(path)
        if saved is None or saved[0].get(field) != key:
            return None
        return saved[1]

    def probabilities(self, lemmas: Sequence[str]) -> dict[str, float]:
        """Each label's probability for a text with these content lemmas (they sum to 1)."""
        words, chars = features(lemmas)
        row = _weighted(words, self.word_index, self.idf)
        row.update(_weighted(chars, self.char_index, self.idf))
        logits = self.bias.copy()
        if row:
            cols = np.fromiter(row, dtype=np.intp, count=len(row))
            values = np.fromiter(row.values(), dtype=np.float64, count=len(row))
            logits += values @ self.weights[cols]
        odds = np.exp(logits - logits.max())
        odds /= odds.sum()
        return dict(zip(self.labels, odds.tolist(), strict=True))


def as_samples(
    samples: Sequence[tuple[Sequence[str], str]], weights: Sequence[float] | None = None
) -> Samples:
    """`samples` with their weights (1 by default) as one hashable tuple; empty texts left out."""
    weighted = zip(samples, weights if weights is not None else [1.0] * len(samples), strict=True)
    return tuple((tuple(lemmas), label, float(w)) for (lemmas, label), w in weighted if lemmas)


@functools.lru_cache(maxsize=4)
def _read(path: Path) -> tuple[dict[str, str], TopicClassifier] | None:
    """The keys and the model saved at `path`, read once per process (so that every engine
    that finds it shares one model); None when the file is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            keys = {field: str(saved[field]) for field in ("key", "inputs") if field in saved.files}
            words = saved["words"].tolist()
            chars = saved["chars"].tolist()
            model = TopicClassifier(
                labels=tuple(saved["labels"].tolist()),
                word_index={f: n for n, f in enumerate(words)},
                char_index={f: n + len(words) for n, f in enumerate(chars)},
                idf=saved["idf"],
                weights=saved["weights"],
                bias=saved["bias"],
            )
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    return keys, model


def saved_for_inputs(inputs: str) -> TopicClassifier | None:
    """The shipped model when it was saved for these inputs (see inputs_key)."""
    return TopicClassifier.load(bundled_model_path(), inputs, field="inputs")


@functools.lru_cache(maxsize=4)
def _trained(samples: Samples, c: float) -> TopicClassifier | None:
    saved = TopicClassifier.load(bundled_model_path(), samples_key(samples, c))
    if saved is not None:
        return saved
    return TopicClassifier.fit([(lemmas, label) for lemmas, label, _ in samples], c, [w for *_, w in samples])


def _fit(
    matrix: csr_matrix, target: np.ndarray, c: float, sample_weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weights and biases minimising the sample-weighted cross-entropy + |weights|² / (2c)
    (biases not penalised).

    The objective is divided by the number of samples, so that the gradient tolerance means
    the same however many phrasings the data has.
    """
    size, classes = matrix.shape[1], target.shape[1]
    scale = 1.0 / matrix.shape[0]
    column = sample_weights.reshape(-1, 1)
    transposed = matrix.T.tocsr()

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        weights = flat[: size * classes].reshape(size, classes)
        bias = flat[size * classes :]
        logits = matrix @ weights + bias
        peak = logits.max(axis=1, keepdims=True)
        odds = np.exp(logits - peak)
        norm = odds.sum(axis=1, keepdims=True)
        log_norm = np.log(norm) + peak
        value = float((sample_weights * (log_norm.ravel() - (logits * target).sum(axis=1))).sum())
        value += float((weights * weights).sum()) / (2.0 * c)
        error = (odds / norm - target) * column
        gradient = np.concatenate(
            [(transposed @ error + weights / c).ravel(), error.sum(axis=0)]
        )
        return value * scale, gradient * scale

    start = np.zeros(size * classes + classes)
    # L-BFGS works on vectors of ~200 000 numbers, which OpenBLAS splits between threads;
    # on two busy cores the threads wait for each other and the fit takes three times longer.
    with threadpool_limits(limits=1, user_api="blas"):
        found = minimize(
            loss, start, jac=True, method="L-BFGS-B",
            options={"maxiter": MAX_ITERATIONS, "gtol": GRADIENT_TOLERANCE},
        )
    flat = np.asarray(found.x)
    return flat[: size * classes].reshape(size, classes), flat[size * classes :]

