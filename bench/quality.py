"""Run `kg eval` on every available gold set and write docs/quality.md.

Each run is the `kg eval` command shown in the document, executed in this
process with ``--json`` so that the tables come from its JSON output. Gold
sets that are absent are listed as skipped: the example page's gold file
(tests/gold/daily-papers-sep-11.jsonl) and the development corpora under
../shared/eval, which are not part of the repository.

With ``--train DIR`` the script also trains a statistical span recogniser
on SciERC's training split with `kg train` (minutes on a laptop CPU), and with
``--model DIR`` it uses a pipeline folder that `kg train` wrote before. Either
adds the section "With a trained span recogniser": the example page and
SciERC dev scored with ``--model DIR``, beside the rule-only scores.

Usage::

    python bench/quality.py                     # writes docs/quality.md
    python bench/quality.py --train /tmp/kg-scierc   # train, then write both sections
    python bench/quality.py --model /tmp/kg-scierc   # reuse a trained folder
    python bench/quality.py --out /tmp/q.md
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spacy

from kg.cli import main as kg_main
from kg.io import atomic_write

REPOSITORY = Path(__file__).resolve().parent.parent

# Error texts shown per type and kind in the document; the JSON has more.
ERROR_EXAMPLES = 8


@dataclass(frozen=True)
class Run:
    """One `kg eval` invocation: a heading, what the gold set is, and the arguments."""

    heading: str
    description: str
    arguments: tuple[str, ...]
    required: tuple[str, ...]
    # Target F1 per (table, row), for the example page's gold file.
    targets: dict[tuple[str, str], float] = field(default_factory=dict)


RUNS = (
    Run(
        "Example page (kg gold format)",
        "The 71 papers of examples/daily-papers-sep-11.txt, annotated by hand in kg's gold format "
        "(paper-level names per type, proposed artifacts, links, abbreviations).",
        ("tests/gold/daily-papers-sep-11.jsonl", "--input", "examples/daily-papers-sep-11.txt"),
        ("tests/gold/daily-papers-sep-11.jsonl",),
        targets={
            ("artifacts", "links"): 1.00,
            ("artifacts", "abbreviations"): 0.90,
            ("entities", "dataset"): 0.90,
            ("artifacts", "proposed"): 0.85,
            ("entities", "model"): 0.85,
            ("entities", "method"): 0.70,
        },
    ),
    Run(
        "SciERC dev",
        "SciERC (Luan et al., EMNLP 2018), 50 development abstracts from AI conference papers. Method, Material, "
        "Task and Metric are mapped to method (kg's model counts as method), dataset, task and metric; "
        "OtherScientificTerm and Generic are ignored.",
        ("../shared/eval/scierc/dev.json",),
        ("../shared/eval/scierc/dev.json",),
    ),
    Run(
        "TDMSci",
        "TDMSci (Hou et al., EACL 2021), sentences from NLP papers tagged DATASET, METRIC and TASK; "
        "each sentence is one document.",
        ("../shared/eval/tdmsci/train_1500_v2.conll",),
        ("../shared/eval/tdmsci/train_1500_v2.conll",),
    ),
    Run(
        "SciREX abstracts",
        "SciREX (Jain et al., ACL 2020) training documents cut to their abstracts, with mention-level Method, "
        "Material, Task and Metric. The paper-level table scores the salient entities that occur in the abstract.",
        ("../shared/eval/scirex/train_abstracts.jsonl",),
        ("../shared/eval/scirex/train_abstracts.jsonl",),
    ),
    Run(
        "CS-NER dev abstracts",
        "CS-NER (D'Souza and Auer, 2022), Papers-with-Code abstracts tagged RESEARCH_PROBLEM (scored as task) and "
        "METHOD, BIOES in Windows-1252. The labels come from Papers-with-Code tags and many mentions are "
        "untagged, so precision here is a lower bound. Tokens keep attached punctuation (a tagged token reads "
        "\"(GAN\"), which no kg span includes, so partial match is the fairer score.",
        ("../shared/eval/cs_ner/dev-abs.data", "--format", "conll", "--encoding", "cp1252"),
        ("../shared/eval/cs_ner/dev-abs.data",),
    ),
)


# Scores of each `kg eval` argument tuple already run, so the trained-model
# section compares with the rule-only runs without running them again.
_RESULTS: dict[tuple[str, ...], dict[str, Any]] = {}

# The corpus files `kg train` reads in the trained-model section.
SCIERC_TRAIN = "../shared/eval/scierc/train.json"
SCIERC_DEV = "../shared/eval/scierc/dev.json"

# Fixed seed and maximum epochs of the training run that the document reports.
TRAIN_SEED = 0
TRAIN_EPOCHS = 30


def run_eval(arguments: tuple[str, ...]) -> tuple[dict[str, Any], str]:
    """Run `kg eval` with `arguments` and return its JSON scores and printed table."""
    if arguments in _RESULTS:
        return _RESULTS[arguments], ""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "scores.json"
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            status = kg_main(["-q", "eval", *arguments, "--no-progress", "--json", str(out)])
        if status != 0:
            raise SystemExit(f"kg eval {' '.join(arguments)} failed with exit status {status}")
        result = json.loads(out.read_text(encoding="utf-8"))
    _RESULTS[arguments] = result
    return result, printed.getvalue()


def markdown_table(table: dict[str, Any], targets: dict[str, float]) -> list[str]:
    header = "| | gold | pred | tp | P | R | F1 |"
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    if targets:
        header += " target F1 |"
        rule += "---|"
    lines = [header, rule]
    for name, row in table["rows"].items():
        line = f"| {name} | {row['gold']} | {row['predicted']} | {row['tp']} | {row['precision']:.2f} | {row['recall']:.2f} | {row['f1']:.2f} |"
        if targets:
            target = targets.get(name)
            line += "" if target is None else f" {'met' if row['f1'] >= target else 'not met'} (>= {target:.2f}) |"
            if target is None:
                line += " |"
        lines.append(line)
    return lines


def error_lines(errors: dict[str, Any]) -> list[str]:
    lines = ["Most frequent errors (lower-cased text, count; spans under exact match):", ""]
    for entity_type, kinds in errors.items():
        for kind in ("missed", "spurious"):
            pairs = kinds[kind][:ERROR_EXAMPLES]
            listed = ", ".join(f"`{text}` {count}" for text, count in pairs) or "none"
            lines.append(f"- {entity_type}, {kind}: {listed}")
    return lines


def section(run: Run) -> list[str]:
    lines = [f"## {run.heading}", "", run.description, ""]
    missing = [path for path in run.required if not (REPOSITORY / path).is_file()]
    command = "kg eval " + " ".join(run.arguments)
    if missing:
        return lines + [f"Skipped: {', '.join(missing)} is not present. Command, once it is:", "", "```", command, "```", ""]
    result, _ = run_eval(run.arguments)
    lines += ["```", command, "```", "", f"{result['documents']} {'papers' if result['format'] == 'gold' else 'documents'}.", ""]
    for name, table in result["scores"].items():
        targets = {row: value for (table_name, row), value in run.targets.items() if table_name == name}
        lines += [f"**{table['title']}**", "", *markdown_table(table, targets), ""]
    if result.get("errors"):
        lines += [*error_lines(result["errors"]), ""]
    return lines


def train_model(out: Path) -> tuple[str, float, str]:
    """Run `kg train` on SciERC's training split; return the command, its wall time in seconds and its output."""
    arguments = [SCIERC_TRAIN, "--dev", SCIERC_DEV, "--out", str(out), "--epochs", str(TRAIN_EPOCHS), "--seed", str(TRAIN_SEED)]
    printed = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(printed):
        status = kg_main(["-q", "train", *arguments, "--no-progress"])
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"kg train {' '.join(arguments)} failed with exit status {status}")
    return "kg train " + " ".join(arguments), seconds, printed.getvalue()


def comparison_table(rules: dict[str, Any], trained: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    """Return a Markdown table of F1 per row, rule-only beside the trained pipeline, for the named score tables."""
    header = "| table | row | rules F1 | with model F1 | change |"
    lines = [header, "|---|---|---:|---:|---:|"]
    for name in names:
        for row, counts in rules["scores"][name]["rows"].items():
            before = counts["f1"]
            after = trained["scores"][name]["rows"][row]["f1"]
            lines.append(f"| {name} | {row} | {before:.2f} | {after:.2f} | {after - before:+.2f} |")
    return lines


def trained_section(model: Path, training: tuple[str, float, str] | None) -> list[str]:
    """Return the section "With a trained span recogniser", scored with ``--model model``."""
    lines = [
        "## With a trained span recogniser",
        "",
        "A `kg_statistical` component (spaCy's `ner` with a CNN over hash embeddings, trained from scratch, no "
        "pretrained weights or vectors) trained on SciERC's 350 training abstracts and run before `kg_entities`, "
        "which reads its spans as the lowest-priority source. The trained folder is not part of the repository.",
        "",
        "SciERC annotates every mention of a category, named or not (\"a parser\", \"training data\"), and the model "
        "learns to find those. The example page's gold file lists named artifacts and the tasks and metrics a paper "
        "names, so the model's other phrases count as false positives there, and a longer model span that covers a "
        "rule-based name replaces it. Use a SciERC-trained pipeline for mention-level analyses; keep the rule-based "
        "default for a graph of named artifacts. `kg train --threshold P` (span probability from beam search) and "
        "`kg train --types` limit what the model adds; run `kg eval` on the example page to see their effect.",
        "",
        "`kg train` picks the saved epoch by its exact span F1 on SciERC dev, so the SciERC dev scores below are "
        "slightly optimistic; SciERC's test split is not used here.",
        "",
    ]
    if training is not None:
        command, seconds, printed = training
        lines += ["```", command, "```", "", f"Training took {seconds / 60:.1f} minutes of wall time on {os.cpu_count()} CPU cores shared with other work. `kg train` printed:", "", "```", printed.strip(), "```", ""]
    else:
        lines += [f"Pipeline folder given with `--model`; it was made with a command such as `kg train {SCIERC_TRAIN} --dev {SCIERC_DEV} --out DIR`.", ""]
    for run in RUNS[:2]:
        missing = [path for path in run.required if not (REPOSITORY / path).is_file()]
        if missing:
            lines += [f"### {run.heading}", "", f"Skipped: {', '.join(missing)} is not present.", ""]
            continue
        rules, _ = run_eval(run.arguments)
        arguments = (*run.arguments, "--model", str(model))
        trained, _ = run_eval(arguments)
        shown = " ".join((*run.arguments, "--model", "DIR"))
        lines += [f"### {run.heading}", "", "```", f"kg eval {shown}", "```", ""]
        for name, table in trained["scores"].items():
            lines += [f"**{table['title']}**", "", *markdown_table(table, {}), ""]
        lines += ["**F1, rule-only against the trained pipeline**", "", *comparison_table(rules, trained, tuple(trained["scores"])), ""]
    return lines


def git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPOSITORY, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit} with uncommitted changes" if dirty else commit


NOTES = """## How to read these tables

- **Exact** span match needs the same start, end and type as a gold span.
  **Partial** match needs an overlap with a gold span of the same type; the
  pairing is one-to-one, so one long prediction over two gold spans counts once.
- **Distinct names per document** compares, per document and type, the set of
  gold span texts with kg's entities (name, aliases), by `kg.resolve.entity_key`.
- Token corpora are read as their tokens joined by single spaces, and kg's
  pipeline runs on that text, so tokenisation artefacts (" - ", " ( ") are in
  what kg sees.
- `micro` sums the counts of all rows above it. `any type` (gold format)
  matches names with the type ignored.
- Scores are on development or training splits that were available while kg's
  rules were written; the held-out test splits are expected to score lower.
- For scale: SciBERT, fine-tuned on SciERC's training split, reports 67.57 span
  F1 on SciERC's test split over all six entity types (Beltagy et al., 2019, as
  listed on Papers with Code). kg's rules are not trained on SciERC and score
  four of its types.

## Why SciERC scores low, and what would raise it

kg recognises *named* artifacts: vocabulary names, name shapes (CamelCase,
digits, "-Bench"), defined abbreviations and context cues ("a benchmark, X").
SciERC annotates every noun phrase of a category, named or not ("parser",
"classifier", "data representation", "multiple parsing strategies"), and
writes "long form ( short form )" as one span where kg keeps two. Rules cannot
find generic phrases with fuzzy edges without flooding the graph with them, so
exact-span recall on SciERC stays low while precision on named artifacts (the
example page) stays high.

A statistical span recogniser is the step beyond rules. kg has one:
`kg train` trains spaCy's `ner` (a CNN over hash embeddings, from scratch, no
pretrained weights) on SciERC's training split, mapped to kg's types by the
label mappings of `kg eval`. The pipeline it saves runs the model before
`kg_entities`, which reads its spans as the lowest-priority source, below
vocabulary, context rules, abbreviations and name shapes, so the documented
overlap rule still decides. `kg build --model DIR` and `kg eval --model DIR`
load it; without `--model` the rule-based default is unchanged. When this page
was generated with `--model` or `--train`, the section "With a trained span
recogniser" above has its scores.

What would raise SciERC further (estimates, not measurements):

- **Pretrained representations**: a scientific-text transformer of about 110M
  parameters (SciBERT or similar, through `spacy-transformers`) in place of
  the hash-embedding CNN. SciBERT's 67.57 above comes from fine-tuning such a
  model, while a CNN trained from scratch learns from 350 abstracts only.
- **Nested spans**: spaCy's `span_finder` and `spancat` components handle
  SciERC's nested, multi-word spans, which a flat recogniser cannot output.
- **More data**: TDMSci and SciREX training files through `kg train` (one
  caveat: TDMSci has no Method label, so its methods would be trained as "not
  an entity").
- **A threshold for named artifacts**: users who want only named artifacts
  can limit the types the model adds (`kg train --types`).
"""


def build_document(*, model: Path | None = None, training: tuple[str, float, str] | None = None) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Extraction quality",
        "",
        "<!-- Generated by bench/quality.py; edit that script, not this file. -->",
        "",
        f"Generated by `python bench/quality.py` on {now}, at commit {git_commit()}, with Python "
        f"{sys.version.split()[0]} and spaCy {spacy.__version__}. Every `kg eval` command below runs from the "
        "repository root with the starter vocabulary and, outside the section \"With a trained span recogniser\", the "
        "rule-based pipeline (no `--model`). The public corpora (SciERC, TDMSci, SciREX, CS-NER) are read "
        "from a folder beside the repository and are not part of it.",
        "",
    ]
    for run in RUNS:
        lines += section(run)
    if model is not None:
        lines += trained_section(model, training)
    lines += [NOTES]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPOSITORY / "docs" / "quality.md", help="Markdown file to write.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--model", type=Path, default=None, help="Pipeline folder written by kg train; adds the trained-model section.")
    group.add_argument("--train", type=Path, default=None, metavar="DIR", help="Train on SciERC's training split into DIR first, then add the trained-model section.")
    arguments = parser.parse_args()
    training = None
    model = arguments.model
    if arguments.train is not None:
        training = train_model(arguments.train)
        model = arguments.train
    elif model is not None and not (model / "config.cfg").is_file():
        parser.error(f"--model {model}: not a pipeline folder (no config.cfg); write one with kg train")
    text = build_document(model=model, training=training)
    with atomic_write(arguments.out) as handle:
        handle.write(text)
    print(f"Wrote {arguments.out}")


if __name__ == "__main__":
    main()
