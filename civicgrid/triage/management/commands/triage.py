"""`civicgrid triage train | evaluate | export | rollback | status`.

civicgrid triage train [--note TEXT] [--no-activate]
civicgrid triage evaluate --data FILE --text COL [--title COL] --label COL [--folds 5]
                          [--baseline] [--segmenter chars|jieba]
civicgrid triage export --out FILE.csv        the labelled history (title, text, label) for evaluate
civicgrid triage rollback                     put the previous version back into use
civicgrid triage status                       the model in use and the versions
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.cases.models import Case, Category
from civicgrid.triage import rules, services, textmodel
from civicgrid.triage.models import TriageModel


def read_rows(path: str) -> list[dict]:
    """Rows of a csv, xlsx or json file (a list of objects, or {"rows": [...]}) as dicts."""
    file = Path(path)
    if not file.exists():
        raise CommandError(_("No such file: %(path)s") % {"path": path})
    suffix = file.suffix.lower()
    if suffix == ".csv":
        with file.open(newline="", encoding="utf-8-sig") as fh:
            return list(csv.DictReader(fh))
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(file, read_only=True, data_only=True).active
        values = list(sheet.iter_rows(values_only=True)) if sheet is not None else []
        if not values:
            return []
        header = [str(h).strip() if h is not None else "" for h in values[0]]
        return [
            {header[i]: ("" if v is None else str(v)) for i, v in enumerate(row) if i < len(header)}
            for row in values[1:]
        ]
    if suffix == ".json":
        try:
            data = json.loads(file.read_text(encoding="utf-8") or "[]")
        except json.JSONDecodeError as exc:
            raise CommandError(
                _("%(path)s is not valid JSON: %(error)s") % {"path": path, "error": exc}
            ) from None
        if isinstance(data, dict):
            data = data.get("rows", [])
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise CommandError(
                _('%(path)s must hold a list of objects (or {"rows": [...]}).') % {"path": path}
            )
        return [{str(k): "" if v is None else str(v) for k, v in r.items()} for r in data]
    raise CommandError(
        _("Unknown file type %(suffix)s: give a .csv, .xlsx or .json file.") % {"suffix": suffix or "?"}
    )


def texts_and_labels(
    rows: list[dict], text: str, label: str, title: str | None, path: str
) -> tuple[list, list, int]:
    if not rows:
        raise CommandError(_("%(path)s is empty: no rows to evaluate.") % {"path": path})
    columns = set(rows[0])
    for col in [text, label] + ([title] if title else []):
        if col not in columns:
            raise CommandError(
                _("Column %(col)r is missing from %(path)s (its columns: %(columns)s).")
                % {"col": col, "path": path, "columns": ", ".join(sorted(columns)) or "–"}
            )
    texts, labels, skipped = [], [], 0
    for row in rows:
        body = (row.get(text) or "").strip()
        head = (row.get(title) or "").strip() if title else ""
        y = (row.get(label) or "").strip()
        if not (body or head) or not y:
            skipped += 1
            continue
        texts.append(services.case_text(head, body))
        labels.append(y)
    if not texts:
        raise CommandError(_("%(path)s has no row with both a text and a label.") % {"path": path})
    return texts, labels, skipped


def check_labels(labels: list[str], col: str, folds: int, path: str) -> None:
    """Refuse what stratified k-fold cannot use, naming the column and the labels."""
    counts = Counter(labels)
    if len(counts) < 2:
        raise CommandError(
            _("%(path)s: column %(col)r has only one class (%(only)r): nothing to tell apart.")
            % {"path": path, "col": col, "only": next(iter(counts), "")}
        )
    lonely = sorted(label for label, n in counts.items() if n < 2)
    if lonely:
        raise CommandError(
            _(
                "%(path)s: label(s) with a single row in column %(col)r: %(labels)s (stratified k-fold needs at least two rows per label)."
            )
            % {"path": path, "col": col, "labels": ", ".join(map(repr, lonely))}
        )
    if folds < 2:
        raise CommandError(_("--folds must be at least 2."))


class Command(BaseCommand):
    help = "Train, evaluate, export, roll back or show the triage text classifier."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="train a new version on the labelled history")
        train.add_argument("--note", default="")
        train.add_argument("--no-activate", action="store_true", help="keep the version in use")
        ev = sub.add_parser("evaluate", help="stratified k-fold evaluation on a labelled file")
        ev.add_argument("--data", required=True)
        ev.add_argument("--text", required=True)
        ev.add_argument("--title")
        ev.add_argument("--label", required=True)
        ev.add_argument("--folds", type=int, default=5)
        ev.add_argument("--baseline", action="store_true")
        ev.add_argument("--segmenter", choices=["chars", "jieba"], default="chars")
        ev.add_argument("--no-confusion", action="store_true", help="leave out the confusion matrix")
        ex = sub.add_parser("export", help="the labelled history as csv (title, text, label)")
        ex.add_argument("--out", required=True)
        ex.add_argument("--label-by", choices=["code", "name"], default="code")
        sub.add_parser("rollback", help="put the previous version back into use")
        sub.add_parser("status", help="the model in use and the versions")

    def handle(self, *args, **options):
        getattr(self, f"do_{options['action']}")(options)

    def do_train(self, options):
        started = time.perf_counter()
        try:
            row = services.train(note=options["note"], activate=False if options["no_activate"] else None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            f"v{row.version}: {row.training_size} cases, {row.classes} categories, "
            f"held-out accuracy {row.accuracy if row.accuracy is not None else '–'}, "
            f"macro-F1 {row.macro_f1 if row.macro_f1 is not None else '–'}, "
            f"top-3 {row.top3_accuracy if row.top3_accuracy is not None else '–'}; "
            f"{'in use' if row.active else 'not in use'} ({time.perf_counter() - started:.1f} s)"
        )

    def do_evaluate(self, options):
        path = options["data"]
        rows = read_rows(path)
        texts, labels, skipped = texts_and_labels(
            rows, options["text"], options["label"], options["title"], path
        )
        check_labels(labels, options["label"], options["folds"], path)
        if options["segmenter"] == "jieba":
            try:
                import jieba  # noqa: F401
            except ImportError:
                raise CommandError(
                    _("--segmenter jieba needs the jieba package (pip install jieba).")
                ) from None
        self.stdout.write(
            f"{path}: {len(texts)} rows, {len(set(labels))} classes"
            + (f", {skipped} rows without text or label skipped" if skipped else "")
        )
        smallest = min(Counter(labels).values())
        if smallest < options["folds"]:
            self.stdout.write(
                f"--folds {options['folds']} lowered to {smallest}: the smallest class has {smallest} rows"
            )
        reports = textmodel.cross_validate(
            texts,
            labels,
            folds=options["folds"],
            segmenter=options["segmenter"],
            baseline=options["baseline"],
        )
        for report in reports:
            self.stdout.write(textmodel.format_report(report, confusion=not options["no_confusion"]))
            self.stdout.write("")
        if len(reports) == 2:
            ours, base = reports
            self.stdout.write(
                f"triage - baseline: accuracy {100 * (ours.accuracy() - base.accuracy()):+.2f} points, "
                f"macro-F1 {100 * (ours.macro_f1() - base.macro_f1()):+.2f} points (same folds)"
            )

    def do_export(self, options):
        names = {
            c.pk: (c.code if options["label_by"] == "code" else str(c))
            for c in Category.objects.select_related("parent")
        }
        qs = (
            Case.objects.filter(rules.labelled_q())
            .order_by("id")
            .values_list("title", "description", "category_id")
        )
        n = 0
        with open(options["out"], "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["title", "text", "label"])
            for title, description, category_id in qs.iterator(chunk_size=5000):
                writer.writerow([title, description, names.get(category_id, category_id)])
                n += 1
        self.stdout.write(f"{n} labelled cases written to {options['out']}")

    def do_rollback(self, options):
        try:
            row = services.rollback(by=None, system=True)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"v{row.version} is in use again")

    def do_status(self, options):
        for row in TriageModel.objects.defer("blob"):
            self.stdout.write(
                f"{'*' if row.active else ' '} v{row.version} {row.created_at:%Y-%m-%d %H:%M} "
                f"{row.training_size} cases accuracy {row.accuracy} macro-F1 {row.macro_f1} {row.note}"
            )
