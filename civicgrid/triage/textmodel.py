"""The text classifier itself, without Django: features, the calibrated model, the cold-start scorer
from the category catalogue, the blend of the two, and the k-fold evaluation.

Everything runs offline on the CPU with scikit-learn (decision 0030): character 1–3 grams of the
title and description (Chinese needs no segmenter for them), TF-IDF with sublinear term frequency,
and a multinomial logistic regression, whose probabilities are calibrated by construction (the
log-loss it minimises is a proper scoring rule). Word features from jieba are an option of the
evaluation only (decision 0031 says why they are not used in production).
"""

from __future__ import annotations

import io
import math
import pickle
import statistics
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

# Features: character n-grams. Capped so that a model of a large deployment stays small (the
# coefficients are classes × features floats) and predicting one text stays well under a millisecond.
MAX_FEATURES = 60_000
NGRAMS = (1, 3)
# The trained model and the catalogue's cold-start scorer are blended by history size: with n
# labelled cases the trained model gets n / (n + BLEND_HALF) of the weight (half at 300 cases).
BLEND_HALF = 300
# Below this many labelled cases (or with fewer than two categories) no model is trained at all.
MIN_TRAINING = 20
# The cold-start scorer turns cosine similarities into probabilities with this temperature.
COLD_TEMPERATURE = 0.08


def normalise(text: str) -> str:
    """Full-width ASCII to half-width, lower case, whitespace collapsed (the same at train and predict)."""
    out = []
    for ch in text or "":
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            ch = chr(code - 0xFEE0)
        elif code == 0x3000:
            ch = " "
        out.append(ch)
    return " ".join("".join(out).lower().split())


def jieba_words(text: str) -> list[str]:
    """Words of a Chinese text by jieba (imported only when asked for: it is an optional extra)."""
    import jieba  # noqa: PLC0415

    jieba.setLogLevel(60)
    return [w for w in jieba.lcut(text) if w.strip()]


def _char_vectorizer(n_docs: int):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char",
        ngram_range=NGRAMS,
        sublinear_tf=True,
        min_df=2 if n_docs >= 2000 else 1,
        max_features=MAX_FEATURES,
        preprocessor=normalise,
        dtype=np.float32,
    )


def make_features(segmenter: str = "chars", n_docs: int = 0):
    """The feature extractor: char 1–3 grams, plus jieba words with segmenter="jieba"."""
    if segmenter == "chars":
        return _char_vectorizer(n_docs)
    if segmenter != "jieba":
        raise ValueError(segmenter)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    words = TfidfVectorizer(
        analyzer=jieba_words,
        sublinear_tf=True,
        min_df=1,
        max_features=MAX_FEATURES,
        dtype=np.float32,
    )
    return FeatureUnion([("chars", _char_vectorizer(n_docs)), ("words", words)])


class ScaledSVC:
    """A linear SVM (hinge loss, one-vs-rest, trained by stochastic gradient descent) whose decision
    scores become probabilities by temperature scaling: a softmax of score / T, with T fitted on
    held-out scores (Guo et al., "On calibration of modern neural networks", 2017). One parameter
    keeps the SVM's ranking and makes its confidences calibrated; predicting costs one sparse product
    and a softmax. SGD rather than liblinear's LinearSVC: on 16,000 synthetic cases in 52 classes
    LinearSVC took 190 s (its dual solver crawls on near-duplicate texts), SGD 2 s for the same
    held-out accuracy (decision 0030)."""

    def __init__(self, alpha: float = 1e-4, epochs: int | None = None) -> None:
        self.alpha = alpha
        self.epochs = epochs
        self.temperature = 1.0
        self.svm = None
        self.classes_: np.ndarray = np.array([])

    def _svm(self, n: int):
        from sklearn.linear_model import SGDClassifier

        # Small sets need more passes: about 200,000 updates in all, between 5 and 60 epochs.
        epochs = self.epochs or min(60, max(5, 200_000 // max(n, 1)))
        return SGDClassifier(loss="hinge", alpha=self.alpha, max_iter=epochs, tol=None, random_state=0)

    def fit(self, x, y, *, temperature: float | None = None) -> ScaledSVC:
        """Fit; with `temperature` given (measured elsewhere on held-out rows) no split is made."""
        from sklearn.model_selection import train_test_split

        y = np.asarray(y)
        if temperature is not None:
            self.temperature = temperature
            self.svm = self._svm(len(y)).fit(x, y)
            self.classes_ = self.svm.classes_
            return self
        counts = Counter(y.tolist())
        keep = np.array([counts[v] >= 2 for v in y.tolist()])
        n_test = max(int(keep.sum() * 0.2), len(counts))
        if keep.sum() - n_test >= len(counts) and len(counts) >= 2:
            idx = np.flatnonzero(keep)
            fit_i, cal_i = train_test_split(idx, test_size=n_test, stratify=y[idx], random_state=0)
            fit_i = np.concatenate([fit_i, np.flatnonzero(~keep)])
            first = self._svm(len(fit_i)).fit(x[fit_i], y[fit_i])
            scores = _scores_2d(first.decision_function(x[cal_i]))
            truth = np.searchsorted(first.classes_, y[cal_i])
            self.temperature = fit_temperature(scores, truth)
        self.svm = self._svm(len(y)).fit(x, y)
        self.classes_ = self.svm.classes_
        return self

    def predict_proba(self, x) -> np.ndarray:
        z = _scores_2d(self.svm.decision_function(x)) / self.temperature
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x) -> np.ndarray:
        return self.classes_[self.predict_proba(x).argmax(axis=1)]


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The T that minimises the negative log-likelihood of softmax(scores / T) on held-out rows."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        z = scores / math.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(truth)), truth].mean())

    return math.exp(minimize_scalar(nll, bounds=(-6.0, 3.0), method="bounded").x)


def _scores_2d(scores: np.ndarray) -> np.ndarray:
    """Two classes give one score column (positive: the second class): make it two columns."""
    if scores.ndim == 1:
        return np.column_stack([-scores / 2, scores / 2])
    return scores


def make_classifier() -> ScaledSVC:
    return ScaledSVC()


def make_baseline():
    """The issue's baseline: TF-IDF character 1–3 grams + LinearSVC (no calibration, no top-3)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    return make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3)), LinearSVC())


def one_text_weights(vectorizer, analyzer, text: str) -> tuple[np.ndarray, np.ndarray]:
    """The TF-IDF vector of one text as (feature indices, weights), computed as the fitted
    TfidfVectorizer would (sublinear tf, idf, l2 norm) without its per-call input validation, which
    costs more than the arithmetic for one short text."""
    counts = Counter(analyzer(text))
    vocab = vectorizer.vocabulary_
    found = [(vocab[t], n) for t, n in counts.items() if t in vocab]
    if not found:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    idx = np.fromiter((i for i, _n in found), dtype=np.int64, count=len(found))
    tf = np.fromiter((n for _i, n in found), dtype=np.float64, count=len(found))
    if vectorizer.sublinear_tf:
        tf = 1.0 + np.log(tf)
    w = tf * vectorizer.idf_[idx]
    norm = math.sqrt(float((w * w).sum()))
    return idx, (w / norm if norm else w)


def softmax_row(z: np.ndarray) -> np.ndarray:
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


@dataclass
class TextClassifier:
    """A fitted feature extractor + calibrated linear model over string labels."""

    segmenter: str = "chars"
    features: object = None
    model: object = None
    classes: list[str] = field(default_factory=list)

    def fit(
        self, texts: Sequence[str], labels: Sequence[str], *, temperature: float | None = None
    ) -> TextClassifier:
        self.features = make_features(self.segmenter, len(texts))
        x = self.features.fit_transform(texts)
        self.model = make_classifier()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter on tiny sets
            self.model.fit(x, list(labels), temperature=temperature)
        self.classes = [str(c) for c in self.model.classes_]
        return self

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.predict_proba(self.features.transform(texts))

    def proba_one(self, text: str) -> np.ndarray:
        """proba([text])[0], fast: one text's n-grams straight into the SVM's coefficients."""
        if self.segmenter != "chars":
            return self.proba([text])[0]
        analyzer = self.__dict__.get("_analyzer")
        if analyzer is None:
            analyzer = self.__dict__["_analyzer"] = self.features.build_analyzer()
        idx, w = one_text_weights(self.features, analyzer, text)
        svm = self.model.svm
        scores = svm.coef_[:, idx] @ w + svm.intercept_
        if scores.shape[0] == 1:  # two classes: one score column
            scores = np.array([-scores[0] / 2, scores[0] / 2])
        return softmax_row(scores / self.model.temperature)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_analyzer", None)  # a closure: rebuilt after unpickling
        return state

    def predict(self, texts: Sequence[str]) -> list[str]:
        p = self.proba(texts)
        return [self.classes[i] for i in p.argmax(axis=1)]


class ColdStart:
    """Scores a text against each category's own words (names, parent name, keywords, any
    description): cosine similarity of character n-gram TF-IDF vectors, turned into probabilities by
    a softmax. Needs no history, so a fresh deployment routes from its first report."""

    def __init__(self, documents: dict[str, str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.classes = list(documents)
        # Character 1–2 grams of the catalogue: category names are short; 3-grams rarely match.
        self.features = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 2), sublinear_tf=True, preprocessor=normalise
        )
        docs = [documents[c] for c in self.classes]
        self.matrix = self.features.fit_transform(docs) if docs else None

    def proba_one(self, text: str) -> np.ndarray:
        """proba([text])[0], fast (see one_text_weights)."""
        if self.matrix is None:
            return np.zeros(0)
        if "_dense" not in self.__dict__:
            self.__dict__["_dense"] = self.matrix.toarray()
            self.__dict__["_analyzer"] = self.features.build_analyzer()
        idx, w = one_text_weights(self.features, self.__dict__["_analyzer"], text)
        return softmax_row((self.__dict__["_dense"][:, idx] @ w) / COLD_TEMPERATURE)

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        if self.matrix is None:
            return np.zeros((len(texts), 0))
        sims = (self.features.transform(texts) @ self.matrix.T).toarray()
        z = sims / COLD_TEMPERATURE
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def blend_weight(history: int) -> float:
    """The trained model's share of the blend with `history` labelled cases."""
    return history / (history + BLEND_HALF) if history > 0 else 0.0


def blended(
    classes: list[str],
    trained: tuple[list[str], np.ndarray] | None,
    cold: tuple[list[str], np.ndarray] | None,
    weight: float,
) -> np.ndarray:
    """Probabilities over `classes` (rows: texts) mixing the trained model's and the cold start's."""
    rows = (trained or cold)[1].shape[0] if (trained or cold) else 0
    out = np.zeros((rows, len(classes)))
    index = {c: i for i, c in enumerate(classes)}
    for part, w in ((trained, weight), (cold, 1.0 - weight)):
        if part is None or w <= 0:
            continue
        part_classes, p = part
        for j, c in enumerate(part_classes):
            if c in index:
                out[:, index[c]] += w * p[:, j]
    sums = out.sum(axis=1, keepdims=True)
    sums[sums == 0] = 1.0
    return out / sums


def top_k(classes: list[str], p: np.ndarray, k: int = 3) -> list[list[tuple[str, float]]]:
    result = []
    for row in p:
        order = np.argsort(-row)[:k]
        result.append([(classes[i], float(row[i])) for i in order if row[i] > 0])
    return result


def dumps(obj: object) -> bytes:
    buf = io.BytesIO()
    pickle.dump(obj, buf, protocol=pickle.HIGHEST_PROTOCOL)
    return buf.getvalue()


def loads(blob: bytes) -> object:
    # Only blobs this application wrote itself (TriageModel.blob, never uploaded) are unpickled.
    return pickle.loads(bytes(blob))  # noqa: S301


def train_with_holdout(
    texts: Sequence[str], labels: Sequence[str], holdout: float = 0.2
) -> tuple[TextClassifier, dict]:
    """What `triage train` does, in two fits: a model fitted on a stratified (1 - holdout) share is
    measured on the rest (accuracy, macro-F1, top-3 accuracy) and gives the temperature; then the
    model is fitted on everything with that temperature. Labels seen once stay in training."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split

    texts, labels = list(texts), [str(y) for y in labels]
    counts = Counter(labels)
    idx = [i for i, y in enumerate(labels) if counts[y] >= 2]
    single = [i for i, y in enumerate(labels) if counts[y] < 2]
    strat = [labels[i] for i in idx]
    n_test = max(int(len(idx) * holdout), len(set(strat)))
    if len(set(strat)) < 2 or len(idx) - n_test < len(set(strat)):
        return TextClassifier().fit(texts, labels), {}
    train_i, test_i = train_test_split(idx, test_size=n_test, stratify=strat, random_state=0)
    train_i = list(train_i) + single
    part = TextClassifier().fit([texts[i] for i in train_i], [labels[i] for i in train_i], temperature=1.0)
    test_x = [texts[i] for i in test_i]
    test_y = [labels[i] for i in test_i]
    x = part.features.transform(test_x)
    scores = _scores_2d(part.model.svm.decision_function(x))
    known = {c: j for j, c in enumerate(part.classes)}
    rows = [k for k, y in enumerate(test_y) if y in known]
    temperature = fit_temperature(scores[rows], np.array([known[test_y[k]] for k in rows])) if rows else 1.0
    part.model.temperature = temperature
    top = top_k(part.classes, part.proba(test_x), 3)
    pred = [row[0][0] for row in top]
    figures = {
        "accuracy": sum(a == b for a, b in zip(pred, test_y, strict=True)) / len(test_y),
        "macro_f1": float(f1_score(test_y, pred, average="macro", zero_division=0)),
        "top3_accuracy": sum(y in [c for c, _p in row] for y, row in zip(test_y, top, strict=True))
        / len(test_y),
        "held_out": len(test_y),
        "temperature": temperature,
    }
    return TextClassifier().fit(texts, labels, temperature=temperature), figures


# --- evaluation --------------------------------------------------------------------------------------


class EvaluationError(ValueError):
    """Data that cannot be evaluated (the message names the column, label or file)."""


@dataclass
class FoldResult:
    y_true: list[str]
    y_pred: list[str]
    train_seconds: float
    predict_ms: list[float]


@dataclass
class Report:
    name: str
    labels: list[str]
    folds: list[FoldResult]

    @property
    def y_true(self) -> list[str]:
        return [y for f in self.folds for y in f.y_true]

    @property
    def y_pred(self) -> list[str]:
        return [y for f in self.folds for y in f.y_pred]

    def accuracy(self) -> float:
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(self.y_true, self.y_pred))

    def macro_f1(self) -> float:
        from sklearn.metrics import f1_score

        return float(f1_score(self.y_true, self.y_pred, labels=self.labels, average="macro", zero_division=0))

    def ms(self) -> tuple[float, float]:
        times = sorted(t for f in self.folds for t in f.predict_ms)
        if not times:
            return 0.0, 0.0
        p99 = times[min(len(times) - 1, math.ceil(0.99 * len(times)) - 1)]
        return statistics.median(times), p99

    def train_seconds(self) -> float:
        return statistics.mean(f.train_seconds for f in self.folds)


def check_data(texts: Sequence[str], labels: Sequence[str], folds: int, label_col: str = "label") -> None:
    """Refuse data that k-fold cannot use, naming what is wrong."""
    if not texts:
        raise EvaluationError("the data has no rows")
    counts = Counter(labels)
    if len(counts) < 2:
        only = next(iter(counts), "")
        raise EvaluationError(f"column {label_col!r} has only one class ({only!r}): nothing to tell apart")
    lonely = sorted(label for label, n in counts.items() if n < 2)
    if lonely:
        raise EvaluationError(
            f"label(s) with a single row in column {label_col!r}: {', '.join(map(repr, lonely))}"
            " (stratified k-fold needs at least two rows per label)"
        )
    if folds < 2:
        raise EvaluationError("--folds must be at least 2")


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    folds: int = 5,
    segmenter: str = "chars",
    baseline: bool = False,
    seed: int = 0,
    timed_predictions: int = 200,
) -> list[Report]:
    """Stratified k-fold: each fold's models are trained only on its training part. Returns the
    triage model's report and, with baseline=True, the baseline's on the same folds."""
    from sklearn.model_selection import StratifiedKFold

    texts = list(texts)
    labels = [str(y) for y in labels]
    counts = Counter(labels)
    k = min(folds, min(counts.values()))
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    label_set = sorted(counts)
    contenders: list[tuple[str, Callable[[], object]]] = [
        (f"triage ({segmenter})", lambda: TextClassifier(segmenter=segmenter))
    ]
    if baseline:
        contenders.append(("baseline (char 1-3 + LinearSVC)", make_baseline))
    reports = {name: Report(name, label_set, []) for name, _make in contenders}
    for train_idx, test_idx in splitter.split(texts, labels):
        train_x = [texts[i] for i in train_idx]
        train_y = [labels[i] for i in train_idx]
        test_x = [texts[i] for i in test_idx]
        test_y = [labels[i] for i in test_idx]
        for name, make in contenders:
            model = make()
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(train_x, train_y)
            trained = time.perf_counter() - started
            pred = [str(y) for y in model.predict(test_x)]
            single = []
            for text in test_x[:timed_predictions]:
                t0 = time.perf_counter()
                model.predict([text])
                single.append((time.perf_counter() - t0) * 1000)
            reports[name].folds.append(FoldResult(test_y, pred, trained, single))
    return list(reports.values())


def format_report(report: Report, *, confusion: bool = True) -> str:
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    lines = [f"== {report.name}: {len(report.folds)} folds, {len(report.y_true)} rows"]
    median, p99 = report.ms()
    lines.append(f"accuracy   {report.accuracy():.4f}")
    lines.append(f"macro-F1   {report.macro_f1():.4f}")
    lines.append(f"ms per prediction: median {median:.3f}, p99 {p99:.3f}")
    lines.append(f"training time per fold: {report.train_seconds():.3f} s")
    p, r, f, s = precision_recall_fscore_support(
        report.y_true, report.y_pred, labels=report.labels, zero_division=0
    )
    width = max(8, *(len(label) for label in report.labels))
    lines.append(f"{'class':<{width}}  precision  recall  f1      support")
    for i, label in enumerate(report.labels):
        lines.append(f"{label:<{width}}  {p[i]:.3f}      {r[i]:.3f}   {f[i]:.3f}   {s[i]}")
    if confusion:
        matrix = confusion_matrix(report.y_true, report.y_pred, labels=report.labels)
        lines.append("confusion matrix (rows: true, columns: predicted, in the class order above)")
        for i, label in enumerate(report.labels):
            lines.append(f"{label:<{width}}  " + " ".join(f"{n:4d}" for n in matrix[i]))
    return "\n".join(lines)
