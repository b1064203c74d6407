"""The one-text fast path (predictions on the case page and in the worker) gives exactly what the
fitted scikit-learn pipeline gives, for the trained model, two classes, the cold start and a model
that went through pickling (the stored blob)."""

import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import triage_synthetic  # noqa: E402

from civicgrid.triage import textmodel  # noqa: E402


def test_fast_path_matches_the_pipeline():
    rows = triage_synthetic.rows(400)
    texts = [f"{a} {b}" for a, b, _c in rows]
    labels = [c for _a, _b, c in rows]
    clf = textmodel.TextClassifier().fit(texts, labels)
    for text in [*texts[:40], "完全无关的文字xyz", ""]:
        assert np.allclose(clf.proba([text])[0], clf.proba_one(text), atol=1e-6)
    two = textmodel.TextClassifier().fit(texts[:40], ["x" if i % 2 else "y" for i in range(40)])
    for text in texts[:10]:
        assert np.allclose(two.proba([text])[0], two.proba_one(text), atol=1e-6)
    cold = textmodel.ColdStart({"a": "乱停车 停车", "b": "垃圾 清运", "c": "路灯"})
    for text in texts[:20]:
        assert np.allclose(cold.proba([text])[0], cold.proba_one(text), atol=1e-6)
    stored = pickle.loads(pickle.dumps(clf))
    assert np.allclose(stored.proba_one(texts[0]), clf.proba_one(texts[0]))


def test_confidences_are_probabilities_and_rank_like_the_svm():
    rows = triage_synthetic.rows(400, seed=3)
    texts = [b for _a, b, _c in rows]
    labels = [c for _a, _b, c in rows]
    clf = textmodel.TextClassifier().fit(texts, labels)
    p = clf.proba(texts[:50])
    assert np.allclose(p.sum(axis=1), 1.0)
    scores = clf.model.svm.decision_function(clf.features.transform(texts[:50]))
    assert (p.argmax(axis=1) == scores.argmax(axis=1)).all()
    assert clf.model.temperature > 0
