"""kg: knowledge graphs of the methods, models, datasets, tasks, metrics and
code links that research-paper abstracts mention."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
