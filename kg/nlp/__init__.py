"""kg's spaCy components; importing the package registers their factories."""

from __future__ import annotations

from kg.nlp.factories import register_factories
from kg.nlp.pipeline import PIPELINE_COMPONENTS, create_pipeline

__all__ = ["PIPELINE_COMPONENTS", "create_pipeline", "register_factories"]
