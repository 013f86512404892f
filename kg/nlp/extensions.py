"""Names of the spaCy extensions and span groups that kg's components set.

All values are plain Python data (str, int, lists and dicts of those), so a
`DocBin(store_user_data=True)` round-trips them. Offsets are character offsets
into `doc.text`, 0-based and end-exclusive.
"""

from __future__ import annotations

from spacy.tokens import Doc

__all__ = [
    "ABBREVIATIONS",
    "ENTITIES_KEY",
    "INTRODUCED_KEY",
    "LINKS",
    "PAPER_ID",
    "PROPOSED_KEY",
    "STATISTICAL_KEY",
    "RELATIONS",
    "RESULTS",
    "TITLE_END",
    "register_extensions",
]

# Doc._.kg_paper_id: the id of the paper the Doc was made from ("" if unknown).
PAPER_ID = "kg_paper_id"

# Doc._.kg_title_end: where the title ends in doc.text; the abstract starts
# after the separator that kg.extract puts between the two (0 = no title).
TITLE_END = "kg_title_end"

# Doc._.kg_links: [{"url", "kind", "start", "end"}], in text order.
LINKS = "kg_links"

# Doc._.kg_abbreviations: [{"short", "long", "short_start", "short_end",
# "long_start", "long_end"}], one per definition, in text order.
ABBREVIATIONS = "kg_abbreviations"

# Doc._.kg_relations: [{"type", "subject_start", "subject_end", "object_start",
# "object_end", "concept", "sentence_start", "sentence_end", "evidence_start",
# "evidence_end"}]. A subject of (-1, -1) is the paper itself. "concept" is
# the concept key of an is_a relation (the object offsets then cover the head
# noun), else "". The evidence keys may be absent; the object span is then
# the evidence.
RELATIONS = "kg_relations"

# Doc._.kg_results: [{"value", "unit", "spread", "start", "end",
# "sentence_start", "sentence_end", "subject_start", "subject_end",
# "metric_start", "metric_end", "benchmark_start", "benchmark_end"}], in text
# order. value, unit and spread are strings; absent mentions are (-1, -1).
RESULTS = "kg_results"

# doc.spans[ENTITIES_KEY]: non-overlapping entity spans, label = EntityType value.
# span.kb_id_ is the canonical vocabulary name when the span matched the vocabulary.
ENTITIES_KEY = "kg_entities"

# doc.spans[PROPOSED_KEY]: the entity spans that the paper introduces.
PROPOSED_KEY = "kg_proposed"

# doc.spans[INTRODUCED_KEY]: names at introduction cues ("we propose X", a
# title "X: ..."), found by kg_entities and read by kg_proposals.
INTRODUCED_KEY = "kg_introduced"

# doc.spans[STATISTICAL_KEY]: spans predicted by a trained kg_statistical
# component (kg.nlp.spans), label = EntityType value. They may overlap the
# rule-based spans, and kg_entities reads them as its last source.
STATISTICAL_KEY = "kg_statistical"


def register_extensions() -> None:
    """Declare kg's `Doc` extensions; calling it again changes nothing."""
    defaults: dict[str, object] = {
        PAPER_ID: "",
        TITLE_END: 0,
        LINKS: None,
        ABBREVIATIONS: None,
        RELATIONS: None,
        RESULTS: None,
    }
    for name, default in defaults.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)
