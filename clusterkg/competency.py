"""Competency questions: one ``.rq`` file each in ``queries/``, with expected answers beside it.

A question file opens with ``#`` comment lines: the first states the question in plain words;
``# papers: cho1995, nadvi1995`` names the papers it draws on; ``# tags: ...`` groups it
(``cross-paper``, ``inferred``, ``wikidata``). The expected answer is ``NAME.csv`` (SPARQL CSV
results: a header of variable names, IRIs and literal values as plain text) or ``NAME.json``
for ASK queries (``{"boolean": true}``).

Answers are compared as multisets of rows unless the query has ORDER BY, in which case order
counts. A mismatch is reported as the rows missing and the rows not expected, so a changed
fact shows up as a readable diff.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from clusterkg.query import QueryService

_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


@dataclass(frozen=True)
class CompetencyQuestion:
    """One question: its query text, its plain-words statement and what it draws on."""

    name: str
    path: Path
    question: str
    papers: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    text: str = field(repr=False, default="")

    @property
    def expected_path(self) -> Path | None:
        for suffix in (".csv", ".json"):
            candidate = self.path.with_suffix(suffix)
            if candidate.exists():
                return candidate
        return None

    @property
    def ordered(self) -> bool:
        body = "\n".join(
            line for line in self.text.splitlines() if not line.lstrip().startswith("#")
        )
        return bool(_ORDER_BY.search(body))


def read_question(path: Path) -> CompetencyQuestion:
    """Parse a ``.rq`` file's header comments."""
    text = path.read_text(encoding="utf-8")
    question = ""
    papers: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        body = stripped.lstrip("#").strip()
        key, _, value = body.partition(":")
        if key.lower() == "papers" and value:
            papers = tuple(p.strip() for p in value.split(",") if p.strip())
        elif key.lower() == "tags" and value:
            tags = tuple(t.strip() for t in value.split(",") if t.strip())
        elif not question:
            question = body
        elif not papers and not tags:
            question += " " + body
    if not question:
        raise ValueError(f"{path}: the first line must be a '#' comment stating the question")
    return CompetencyQuestion(path.stem, path, question, papers, tags, text)


def load_questions(folder: Path) -> list[CompetencyQuestion]:
    return [read_question(p) for p in sorted(folder.glob("*.rq"))]


def answer_csv(service: QueryService, question: CompetencyQuestion) -> str:
    """The question's answer in SPARQL CSV (or JSON for ASK), as text."""
    info, answer = service.execute(question.text, bindings_format="csv", max_rows=None)
    if info.form == "ASK":
        value = answer.body.decode().split()[-1] == "true"
        return json.dumps({"boolean": value})
    if info.form != "SELECT":
        raise ValueError(f"{question.name}: competency questions are SELECT or ASK queries")
    return answer.body.decode("utf-8")


def _rows(text: str) -> list[tuple[str, ...]]:
    return [tuple(row) for row in csv.reader(io.StringIO(text))]


@dataclass
class Comparison:
    ok: bool
    diff: str = ""


def compare(question: CompetencyQuestion, actual: str, expected: str) -> Comparison:
    """Compare an answer with the expected one; the diff lists what is missing and extra."""
    if question.expected_path is not None and question.expected_path.suffix == ".json":
        ok = json.loads(actual) == json.loads(expected)
        return Comparison(ok, "" if ok else f"expected {expected.strip()}, got {actual.strip()}")
    got, want = _rows(actual), _rows(expected)
    if not want:
        return Comparison(False, "the expected-results file is empty (it needs a header row)")
    if got[:1] != want[:1]:
        return Comparison(False, f"columns differ: expected {want[0]}, got {got[0] if got else []}")
    got_rows, want_rows = got[1:], want[1:]
    if question.ordered:
        if got_rows == want_rows:
            return Comparison(True)
    elif Counter(got_rows) == Counter(want_rows):
        return Comparison(True)
    missing = list((Counter(want_rows) - Counter(got_rows)).elements())
    extra = list((Counter(got_rows) - Counter(want_rows)).elements())
    lines = [f"{question.name}: answer differs from {question.expected_path}"]
    lines += [f"  missing: {', '.join(r)}" for r in missing]
    lines += [f"  not expected: {', '.join(r)}" for r in extra]
    if not missing and not extra:
        lines.append("  same rows, different order (the query has ORDER BY)")
    return Comparison(False, "\n".join(lines))
