"""Triage benchmark (issue 9): ms per prediction (median, p99), training time and peak memory on
100,000 synthetic cases, and intake throughput with and without triage on (same run, ratio).

    .venv/bin/python bench/bench_triage.py [--cases 100000] [--predictions 2000] [--intakes 300]
        [--rounds 4] [--database-url sqlite:////tmp/civicgrid_bench_triage.sqlite3]

The cases are synthetic (bench/triage_synthetic.py fragments plus every seeded sub-category's name
and keywords: 52 classes), not real citizen messages. Training runs in a child process, so that its
peak resident memory (getrusage ru_maxrss) is the training's own; it does what `triage train` does
(a held-out measurement fit on 80 %, then the fit on all). Predictions are single texts through the
production path (trained model + the catalogue's cold start, blended). Intake: the same reports
taken in through cases.services.intake in alternating rounds with triage off and on; each round's
outbox is then drained by the worker's loop, timed apart (the suggestions are made there, never on
the intake path). Figures are CPU-bound and noisy on a shared 2-core machine: medians are quoted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import triage_synthetic  # noqa: E402


def synthetic_cases(n: int, seed: int = 11) -> tuple[list[str], list[str]]:
    """n (text, label) pairs over the hand-written classes and every seeded sub-category."""
    from civicgrid.cases.seed import CATEGORIES

    rng = random.Random(seed)
    subs = []
    for _code, top_name, _en, _public, _level, children in CATEGORIES:
        for sub_code, name, _en2, _r, _h, keywords in children:
            subs.append((sub_code, top_name, name, keywords.split()))
    labels = list(triage_synthetic.PROBLEMS) + [s[0] for s in subs]
    texts, ys = [], []
    for i in range(n):
        label = labels[i % len(labels)]
        if label in triage_synthetic.PROBLEMS:
            text = triage_synthetic.message(rng, label)
        else:
            _c, top, name, words = next(s for s in subs if s[0] == label)
            core = "".join(rng.sample(words, k=min(len(words), rng.randint(1, 2)))) if words else name
            text = (
                rng.choice(triage_synthetic.PLACES)
                + rng.choice(triage_synthetic.BUILDINGS)
                + "，"
                + rng.choice(triage_synthetic.TIMES)
                + rng.choice(["发现", "有", "反映", "存在", ""])
                + core
                + rng.choice(["问题", "的情况", "", "，" + name])
                + "，"
                + rng.choice(triage_synthetic.ASKS)
            )
        texts.append(text)
        ys.append(label)
    return texts, ys


def child_train(n: int) -> None:
    """In a child process: train as services.train does; print seconds and peak memory as JSON."""
    from civicgrid.triage import textmodel

    texts, labels = synthetic_cases(n)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu0 = cpu_seconds()
    started = time.perf_counter()
    clf, figures = textmodel.train_with_holdout(texts, labels, 0.2)
    total_s = time.perf_counter() - started
    total_cpu = cpu_seconds() - cpu0
    blob = textmodel.dumps({"text": clf, "departments": {}, "history": len(texts)})
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = Path(os.environ["BENCH_TRIAGE_BLOB"])
    out.write_bytes(blob)
    print(
        json.dumps(
            {
                "total_seconds": total_s,
                "cpu_seconds": total_cpu,
                "peak_mib": peak_kib / 1024,
                "data_mib": before / 1024,
                "holdout_accuracy": figures.get("accuracy"),
                "holdout_top3": figures.get("top3_accuracy"),
                "blob_mib": len(blob) / 2**20,
                "classes": len(clf.classes),
                "features": len(clf.features.vocabulary_),
            }
        )
    )


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(q * len(values))) - 1))]


def setup_django(database_url: str) -> None:
    os.environ["CIVICGRID_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def small_city():
    from civicgrid.areas.models import Area, Level
    from civicgrid.areas.services import create_area

    existing = Area.objects.filter(code="330106001001001").first()
    if existing:
        return existing
    square = {
        "type": "Polygon",
        "coordinates": [[[120.1, 30.2], [120.11, 30.2], [120.11, 30.21], [120.1, 30.21], [120.1, 30.2]]],
    }
    city = create_area(level=Level.CITY, code="330100", name="示范市")
    district = create_area(level=Level.DISTRICT, code="330106", name="西湖区", parent=city)
    street = create_area(level=Level.STREET, code="330106001", name="北山街道", parent=district, shape=square)
    community = create_area(
        level=Level.COMMUNITY, code="330106001001", name="宝石社区", parent=street, shape=square
    )
    return create_area(
        level=Level.GRID, code="330106001001001", name="宝石一网格", parent=community, kind="N", shape=square
    )


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--predictions", type=int, default=2000)
    parser.add_argument("--intakes", type=int, default=300, help="reports per intake round")
    parser.add_argument("--rounds", type=int, default=4, help="intake rounds per setting (off, on alternate)")
    parser.add_argument(
        "--database-url",
        default="sqlite:///" + str(Path(tempfile.gettempdir()) / "civicgrid_bench_triage.sqlite3"),
    )
    parser.add_argument("--child-train", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_train:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
        import django

        django.setup()
        child_train(args.child_train)
        return 0

    blob_path = Path(tempfile.gettempdir()) / "civicgrid_bench_triage.blob"
    print(f"== training on {args.cases:,} synthetic cases (child process)")
    done = subprocess.run(
        [sys.executable, __file__, "--child-train", str(args.cases)],
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_TRIAGE_BLOB": str(blob_path)},
        check=True,
    )
    train = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"training (held-out fit + full fit, as `triage train`): {train['total_seconds']:.1f} s wall, "
        f"{train['cpu_seconds']:.1f} s CPU, "
        f"peak memory {train['peak_mib']:.0f} MiB (of which {train['data_mib']:.0f} MiB before fitting: "
        f"interpreter + texts), {train['classes']} classes, {train['features']:,} features, "
        f"model {train['blob_mib']:.1f} MiB, held-out accuracy {train['holdout_accuracy']:.4f}, "
        f"top-3 {train['holdout_top3']:.4f}"
    )

    setup_django(args.database_url)
    from django.conf import settings

    from civicgrid.cases import services as cases_services
    from civicgrid.cases.models import Case
    from civicgrid.core import outbox
    from civicgrid.core.models import OutboxEvent
    from civicgrid.triage import predictor, textmodel
    from civicgrid.triage import services as triage_services
    from civicgrid.triage.models import Decision, Suggestion, TriageModel

    TriageModel.objects.all().delete()
    payload = textmodel.loads(blob_path.read_bytes())
    TriageModel.objects.create(
        version=1, training_size=args.cases, classes=train["classes"], train_seconds=train["total_seconds"],
        blob=blob_path.read_bytes(), active=True, note="bench",
    )  # fmt: skip
    predictor.forget()
    texts, _labels = synthetic_cases(args.predictions, seed=99)
    predictor.predict(texts[0])  # load the model once
    times = []
    cpu0 = cpu_seconds()
    for text in texts:
        t0 = time.perf_counter()
        predictor.predict(text)
        times.append((time.perf_counter() - t0) * 1000)
    cpu_ms = (cpu_seconds() - cpu0) * 1000 / len(texts)
    print(
        f"prediction (trained {args.cases:,} + cold start, one text, as the worker and the case page): "
        f"median {statistics.median(times):.3f} ms, p99 {percentile(times, 0.99):.3f} ms wall over {len(times)}; "
        f"{cpu_ms:.3f} ms CPU on average"
    )
    clf = payload["text"]
    raw = []
    for text in texts[:1000]:
        t0 = time.perf_counter()
        clf.proba_one(text)
        raw.append((time.perf_counter() - t0) * 1000)
    print(
        f"prediction (the trained model alone): median {statistics.median(raw):.3f} ms, p99 {percentile(raw, 0.99):.3f} ms"
    )

    grid = small_city()
    reports, _ = synthetic_cases(args.intakes * args.rounds * 2, seed=5)
    rates: dict[bool, list[float]] = {False: [], True: []}
    intake_cpu: dict[bool, list[float]] = {False: [], True: []}
    worker_ms: dict[bool, list[float]] = {False: [], True: []}
    i = 0
    for r in range(args.rounds * 2):
        on = r % 2 == 1
        settings.TRIAGE_ENABLED = on
        outbox.drain(max_rounds=1000)
        c0, t0 = cpu_seconds(), time.perf_counter()
        for _ in range(args.intakes):
            cases_services.intake(channel="resident_app", description=reports[i], area=grid)
            i += 1
        wall = time.perf_counter() - t0
        rates[on].append(args.intakes / wall)
        intake_cpu[on].append((cpu_seconds() - c0) * 1000 / args.intakes)
        t1 = time.perf_counter()
        outbox.drain(max_rounds=1000)
        worker_ms[on].append((time.perf_counter() - t1) * 1000 / args.intakes)
    settings.TRIAGE_ENABLED = True
    off, on = statistics.median(rates[False]), statistics.median(rates[True])
    print(
        f"intake, {args.rounds} rounds × {args.intakes} reports per setting: triage off {off:.0f}/s "
        f"({statistics.median(intake_cpu[False]):.2f} ms CPU per report), on {on:.0f}/s "
        f"({statistics.median(intake_cpu[True]):.2f} ms CPU per report); on/off = {on / off:.3f}"
    )
    print(
        f"worker time per report (outbox drained after each round): triage off "
        f"{statistics.median(worker_ms[False]):.2f} ms, on {statistics.median(worker_ms[True]):.2f} ms "
        "(suggestions made off the intake path)"
    )
    made = Suggestion.objects.count()
    print(
        f"suggestions stored: {made} for {Case.objects.count()} cases; events left: {OutboxEvent.objects.filter(done_at__isnull=True).count()}"
    )
    Decision.objects.all().delete()
    Suggestion.objects.all().delete()
    Case.objects.all().delete()
    OutboxEvent.objects.all().delete()
    TriageModel.objects.all().delete()
    del triage_services
    return 0


if __name__ == "__main__":
    sys.exit(main())
