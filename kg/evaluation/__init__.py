"""Measure extraction quality against annotated corpora (`kg eval`).

`corpora` reads gold files, `mappings` maps their labels to kg's entity
types, `scoring` computes precision, recall and F1, `runner` runs the
pipeline and scores it, and `report` formats the results.
"""

from __future__ import annotations

__all__: list[str] = []
