"""Training of the statistical span recogniser behind ``kg train``.

`train_pipeline` reads annotated documents (SciERC JSON, CoNLL files such as
TDMSci, or SciREX) and maps their labels to kg's entity types with
`kg.evaluation.mappings.DEFAULT_MAPPINGS`. It then trains a ``kg_statistical``
component (`kg.nlp.spans`) from scratch inside kg's own pipeline, so training
and extraction use the tokenizer that `kg.nlp.pipeline.create_pipeline` builds. The saved
folder is a complete kg pipeline: ``kg build --model DIR`` and
``kg eval --model DIR`` load it.

Corpus labels that map to no kg type (SciERC's OtherScientificTerm and
Generic) are trained as "not an entity", because `kg eval` counts them as
false positives too.
"""

from __future__ import annotations

import logging
import random
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import compounding, filter_spans, fix_random_seed, minibatch

from kg.errors import ConfigError, InputError
from kg.evaluation.corpora import Document, detect_corpus_format, read_documents
from kg.evaluation.mappings import DEFAULT_MAPPINGS, LabelMapping
from kg.evaluation.scoring import Counts
from kg.model import EntityType
from kg.nlp.extensions import STATISTICAL_KEY

__all__ = ["TrainingResult", "make_examples", "read_training_documents", "train_pipeline"]

logger = logging.getLogger(__name__)

COMPONENT = "kg_statistical"

# Dropout rate of spaCy's default training config for ``ner``.
DROPOUT = 0.1

# Batch sizes in documents, growing from the first to the second value by the
# third factor per batch. Small early batches give more updates in the first
# epochs, which matters on a corpus of a few hundred abstracts.
BATCH_START, BATCH_STOP, BATCH_GROWTH = 4.0, 16.0, 1.001

# Epochs without a better development F1 before training stops early.
PATIENCE = 5

# Beam width used for prediction when a probability threshold is set. Span
# probabilities are sums over the parses in the beam, so a width of 1 gives none.
# NOTE: 16 is not tuned; decoding time grows with the width.
THRESHOLD_BEAM_WIDTH = 16


@dataclass(frozen=True)
class TrainingResult:
    """Outcome of `train_pipeline`.

    Attributes
    ----------
    output : Path
        The saved pipeline folder.
    train_documents, dev_documents : int
    best_epoch : int
        1-based epoch whose weights were saved (the last one without a
        development set).
    dev_scores : dict of str to Counts
        Exact-match span counts per kg type of the saved weights on the
        development set, plus "micro"; empty without a development set.
    losses : list of float
        Training loss per epoch.
    seconds : float
        Wall time of the training loop.
    """

    output: Path
    train_documents: int
    dev_documents: int
    best_epoch: int
    dev_scores: dict[str, Counts] = field(default_factory=dict)
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0


def read_training_documents(paths: Sequence[str | Path], *, corpus_format: str | None = None) -> list[tuple[Document, LabelMapping]]:
    """Read the documents of each file with the default label mapping of its format.

    Raises
    ------
    InputError
        For an unreadable file or one in kg's gold format, which has no spans.
    """
    documents: list[tuple[Document, LabelMapping]] = []
    for path in paths:
        file_format = corpus_format or detect_corpus_format(path)
        if file_format == "gold":
            raise InputError(str(path), "kg's gold format has paper-level names but no spans to train on; expected SciERC, CoNLL or SciREX")
        mapping = DEFAULT_MAPPINGS[file_format]
        read = list(read_documents(path, file_format))
        mapping.check_labels({span.label for document in read for span in document.spans})
        documents.extend((document, mapping) for document in read)
        logger.info("Read %d documents from %s (%s)", len(read), path, file_format)
    return documents


def _reference_spans(doc: Doc, document: Document, mapping: LabelMapping) -> list[Span]:
    spans = []
    for gold in document.spans:
        entity_type = mapping.gold_type(gold.label)
        if entity_type is None:
            continue
        span = doc.char_span(gold.start, gold.end, label=entity_type, alignment_mode="expand")
        if span is None:
            logger.warning("%s, record %d: span %r does not align with tokens; skipped", document.source, document.record, document.span_text(gold))
            continue
        spans.append(span)
    kept = filter_spans(spans)
    if len(kept) < len(spans):
        logger.debug("%s: %d overlapping gold spans dropped (the recogniser predicts flat spans)", document.id, len(spans) - len(kept))
    return kept


def make_examples(nlp: Language, documents: Iterable[tuple[Document, LabelMapping]]) -> list[Example]:
    """Turn documents into spaCy Examples whose reference entities are kg types.

    `nlp` tokenises each document's text, and the corpus spans are aligned to
    those tokens. A span that ends inside a token is widened to cover it.
    """
    examples = []
    for document, mapping in documents:
        predicted = nlp.make_doc(document.text)
        reference = nlp.make_doc(document.text)
        reference.set_ents(_reference_spans(reference, document, mapping), default="outside")
        examples.append(Example(predicted, reference))
    return examples


def _score(component, examples: Sequence[Example], types: Sequence[str]) -> dict[str, Counts]:
    """Count exact-match spans per type in the component's span group."""
    docs = list(component.pipe(example.predicted.copy() for example in examples))
    totals = {entity_type: Counts() for entity_type in types}
    for doc, example in zip(docs, examples):
        gold = {(span.start, span.end, span.label_) for span in example.reference.ents}
        predicted = {(span.start, span.end, span.label_) for span in doc.spans.get(STATISTICAL_KEY, [])}
        for entity_type in types:
            gold_type = {span for span in gold if span[2] == entity_type}
            predicted_type = {span for span in predicted if span[2] == entity_type}
            tp = len(gold_type & predicted_type)
            totals[entity_type] += Counts(tp=tp, fp=len(predicted_type) - tp, fn=len(gold_type) - tp)
    total = Counts()
    for counts in totals.values():
        total += counts
    return {**totals, "micro": total}


def _progress(batches: list, *, enabled: bool, epoch: int, epochs: int):
    if not enabled:
        return batches
    from tqdm import tqdm

    return tqdm(batches, desc=f"kg train, epoch {epoch}/{epochs}", unit=" batches", leave=False)


def train_pipeline(
    train_paths: Sequence[str | Path],
    *,
    out: str | Path,
    dev_paths: Sequence[str | Path] = (),
    epochs: int = 20,
    seed: int = 0,
    corpus_format: str | None = None,
    types: Sequence[str] | None = None,
    threshold: float = 0.0,
    progress: bool = False,
) -> TrainingResult:
    """Train a ``kg_statistical`` component in kg's pipeline and save the pipeline.

    Parameters
    ----------
    train_paths : sequence of path
        Annotated training files; the format of each is detected unless
        `corpus_format` is given.
    out : path
        The pipeline folder to write. It is written to a temporary folder
        beside it first and then renamed, replacing an existing folder.
    dev_paths : sequence of path
        Development files. With them, the weights of the epoch with the best
        exact span F1 are saved, and training stops after `PATIENCE` epochs
        without improvement. Without them, the last epoch's weights are saved.
    epochs : int
        Maximum passes over the training documents.
    seed : int
        Seed of Python's, NumPy's and thinc's random generators (shuffling,
        dropout, initial weights), so a run can be repeated on one machine.
    corpus_format : str, optional
        Format of every file ("scierc", "conll" or "scirex").
    types : sequence of str, optional
        The kg types the trained component may write (default: all it
        learned). kg_entities reads only these from the component.
    threshold : float
        Minimum span probability for the saved component to write a span
        (0 = every span of the best parse). Above 0, the component predicts
        with a beam of `THRESHOLD_BEAM_WIDTH` parses.
    progress : bool
        Show a progress bar per epoch on standard error.

    Raises
    ------
    InputError
        For an unreadable training or development file.
    ConfigError
        For an invalid `epochs`, an unknown type, or training data with no
        entity of kg's types.
    """
    from kg.nlp.pipeline import create_pipeline

    if epochs < 1:
        raise ConfigError(f"--epochs {epochs}: expected a positive number of epochs")
    if not 0.0 <= threshold < 1.0:
        raise ConfigError(f"--threshold {threshold}: expected a probability from 0 up to but not including 1")
    fix_random_seed(seed)
    nlp = create_pipeline()
    train_examples = make_examples(nlp, read_training_documents(train_paths, corpus_format=corpus_format))
    dev_examples = make_examples(nlp, read_training_documents(dev_paths, corpus_format=corpus_format)) if dev_paths else []
    learned = sorted({span.label_ for example in train_examples for span in example.reference.ents})
    if not learned:
        raise ConfigError(f"the training files {', '.join(map(str, train_paths))} contain no span of kg's types")
    allowed = list(types) if types is not None else learned
    known = {str(entity_type) for entity_type in EntityType}
    for entity_type in allowed:
        if entity_type not in known:
            raise ConfigError(f"--types {entity_type!r}: unknown type, expected some of {', '.join(sorted(known))}")

    settings: dict[str, object] = {"types": allowed}
    if threshold > 0.0:
        # Training stays greedy; the beam serves prediction, including the development scores.
        settings.update(threshold=threshold, beam_width=THRESHOLD_BEAM_WIDTH)
    component = nlp.add_pipe(COMPONENT, before="kg_entities", config=settings)
    component.initialize(lambda: train_examples, nlp=nlp)
    optimizer = component.create_optimizer()
    logger.info("Training %s on %d documents, labels %s", COMPONENT, len(train_examples), ", ".join(component.labels))

    best_f1, best_epoch, best_bytes = -1.0, 0, b""
    best_scores: dict[str, Counts] = {}
    losses_per_epoch: list[float] = []
    started = time.perf_counter()
    sizes = compounding(BATCH_START, BATCH_STOP, BATCH_GROWTH)
    rng = random.Random(seed)
    for epoch in range(1, epochs + 1):
        shuffled = list(train_examples)
        rng.shuffle(shuffled)
        losses: dict[str, float] = {}
        for batch in _progress(list(minibatch(shuffled, size=sizes)), enabled=progress, epoch=epoch, epochs=epochs):
            component.update(batch, sgd=optimizer, drop=DROPOUT, losses=losses)
        losses_per_epoch.append(float(losses.get(COMPONENT, 0.0)))
        if not dev_examples:
            continue
        with component.model.use_params(optimizer.averages):
            scores = _score(component, dev_examples, learned)
            f1 = scores["micro"].f1
            if f1 > best_f1:
                best_f1, best_epoch, best_scores = f1, epoch, scores
                best_bytes = component.to_bytes()
        logger.info("Epoch %d: loss %.1f, development F1 %.3f (best %.3f, epoch %d)", epoch, losses_per_epoch[-1], f1, best_f1, best_epoch)
        if epoch - best_epoch >= PATIENCE:
            logger.info("No better development F1 in %d epochs; stopped after epoch %d", PATIENCE, epoch)
            break
    seconds = time.perf_counter() - started

    if not dev_examples:
        # Without a development set, save the averaged weights of the last epoch.
        with component.model.use_params(optimizer.averages):
            best_bytes = component.to_bytes()
        best_epoch = len(losses_per_epoch)
    component.from_bytes(best_bytes)
    output = _save(nlp, Path(out))
    return TrainingResult(
        output=output,
        train_documents=len(train_examples),
        dev_documents=len(dev_examples),
        best_epoch=best_epoch,
        dev_scores=best_scores,
        losses=losses_per_epoch,
        seconds=seconds,
    )


def _save(nlp: Language, out: Path) -> Path:
    """Write the pipeline to a temporary folder beside `out`, then move it into place."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        nlp.to_disk(temporary)
        if out.exists():
            if not (out / "config.cfg").is_file():
                raise ConfigError(f"--out {out}: the folder exists and is not a spaCy pipeline; choose a new folder")
            shutil.rmtree(out)
        temporary.rename(out)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    logger.info("Saved the pipeline to %s", out)
    return out
