"""A trainable statistical span recogniser for kg's entity types.

`StatisticalSpanRecognizer` (factory ``kg_statistical``) is spaCy's
transition-based named entity recogniser (``ner``) with one change: it writes
its predictions to ``doc.spans[spans_key]`` (default ``"kg_statistical"``,
label = an `EntityType` value) and leaves ``doc.ents`` as it found them. The
rule-based ``kg_entities`` component reads that group as its lowest-priority
source, so the overlap rule of `kg.nlp.entities.resolve_overlaps` decides
between rules and model.

The model is spaCy's default for ``ner``: a CNN tok2vec over hash embeddings
of NORM, PREFIX, SUFFIX and SHAPE, trained from scratch by `kg.training`
(``kg train``), with no pretrained vectors or weights. A pipeline without the
component behaves exactly as before.

References
----------
Lample et al., "Neural Architectures for Named Entity Recognition", NAACL
2016 (the transition system that spaCy's ``ner`` follows).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from spacy.attrs import ENT_IOB, ENT_KB_ID, ENT_TYPE
from spacy.pipeline.ner import EntityRecognizer as SpacyEntityRecognizer
from spacy.tokens import Doc, Span
from thinc.api import Config, Model

from kg.errors import ConfigError
from kg.model import EntityType
from kg.nlp.extensions import STATISTICAL_KEY

__all__ = ["DEFAULT_MODEL", "STATISTICAL_KEY", "StatisticalSpanRecognizer"]

logger = logging.getLogger(__name__)

# spaCy's default ``ner`` architecture (spaCy 3.8) with a wider tok2vec and
# more hash rows: the training corpora are small, so the model stays cheap,
# but scientific text has many rare subwords that collide in 2,000 rows.
_MODEL_CONFIG = """
[model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "ner"
extra_state_tokens = false
hidden_width = 64
maxout_pieces = 2
use_upper = true

[model.tok2vec]
@architectures = "spacy.HashEmbedCNN.v2"
pretrained_vectors = null
width = 128
depth = 4
embed_size = 5000
window_size = 1
maxout_pieces = 3
subword_features = true
"""
DEFAULT_MODEL = Config().from_str(_MODEL_CONFIG)["model"]

_ENTITY_ATTRS = [ENT_IOB, ENT_TYPE, ENT_KB_ID]


class StatisticalSpanRecognizer(SpacyEntityRecognizer):
    """spaCy's ``ner`` that writes to a span group in place of ``doc.ents``.

    Parameters
    ----------
    vocab, model, name, moves, update_with_oracle_cut_size
        As for `spacy.pipeline.EntityRecognizer`.
    spans_key : str
        The span group that receives the predictions.
    types : sequence of str
        The `EntityType` values the component may write; predictions of other
        labels are dropped. Training labels must be `EntityType` values.
    beam_width : int
        Parses kept by beam search when predicting (1 = greedy). Training
        stays greedy whatever the value.
    threshold : float
        Minimum probability of a span, summed over the parses of the beam
        that contain it, for the span to be written (0 = write every span of
        the best parse). A threshold above 0 needs a `beam_width` of 2 or more.
    """

    def __init__(
        self,
        vocab,
        model: Model,
        name: str = "kg_statistical",
        moves=None,
        *,
        update_with_oracle_cut_size: int = 100,
        spans_key: str = STATISTICAL_KEY,
        types: Sequence[str] = tuple(str(entity_type) for entity_type in EntityType),
        beam_width: int = 1,
        threshold: float = 0.0,
        scorer: Callable | None = None,
    ) -> None:
        super().__init__(
            vocab,
            model,
            name=name,
            moves=moves,
            update_with_oracle_cut_size=update_with_oracle_cut_size,
            beam_width=beam_width,
            scorer=scorer,
        )
        if not 0.0 <= threshold < 1.0:
            raise ConfigError(f"{name}: invalid threshold {threshold}; expected a probability from 0 up to but not including 1")
        if threshold > 0.0 and beam_width < 2:
            raise ConfigError(f"{name}: threshold {threshold} needs span probabilities from beam search; set beam_width to 2 or more (e.g. 16)")
        known = {str(entity_type) for entity_type in EntityType}
        unknown = sorted(set(types) - known)
        if unknown:
            raise ConfigError(
                f"{name}: invalid types {', '.join(unknown)} in the 'types' setting; expected some of {', '.join(sorted(known))}"
            )
        self.spans_key = spans_key
        self.types = frozenset(types)
        self.threshold = threshold

    def set_annotations(self, docs: Iterable[Doc], states_or_beams) -> None:
        """Write the predicted entities of each Doc to ``doc.spans[self.spans_key]``.

        The parent class writes ``doc.ents``; this saves the entity
        annotation first and restores it afterwards, so only the span group
        changes.
        """
        docs = list(docs)
        saved = [doc.to_array(_ENTITY_ATTRS) for doc in docs]
        probabilities = self.scored_ents(states_or_beams) if self.threshold > 0.0 else [None] * len(docs)
        super().set_annotations(docs, states_or_beams)
        for doc, array, scores in zip(docs, saved, probabilities):
            spans = [
                Span(doc, entity.start, entity.end, label=entity.label_)
                for entity in doc.ents
                if entity.label_ in self.types
                and (scores is None or scores.get((entity.start, entity.end, entity.label_), 0.0) >= self.threshold)
            ]
            doc.from_array(_ENTITY_ATTRS, array)
            doc.spans[self.spans_key] = spans
