from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis profiles for the property tests in tests/test_fuzz.py. "ci" (the
# default when CI is set) runs a fixed set of examples, so a failure repeats
# on every run. "dev" draws new examples each time, and "long" draws 20 times
# as many. Choose one with KG_HYPOTHESIS_PROFILE=long.
_FUZZ_SETTINGS: dict[str, Any] = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", max_examples=100, **_FUZZ_SETTINGS)
settings.register_profile("ci", max_examples=100, derandomize=True, print_blob=True, **_FUZZ_SETTINGS)
settings.register_profile("long", max_examples=2000, **_FUZZ_SETTINGS)
settings.load_profile(os.environ.get("KG_HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

REPOSITORY = Path(__file__).resolve().parent.parent
EXAMPLE_PAGE = REPOSITORY / "examples" / "daily-papers-sep-11.txt"
SHARED = REPOSITORY.parent / "shared"


@pytest.fixture(scope="session")
def example_page() -> Path:
    return EXAMPLE_PAGE


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present beside the repository")
    return SHARED


@pytest.fixture(scope="session")
def check_shapes() -> Callable[[Any], None]:
    """Return a function that asserts a kg graph (NetworkX or rdflib) conforms to ontology/shapes.ttl."""
    from rdflib import Graph

    from kg.rdf import graph_to_rdf
    from kg.validate import validate_rdf

    def check(graph: Any) -> None:
        rdf = graph if isinstance(graph, Graph) else graph_to_rdf(graph)
        report = validate_rdf(rdf)
        assert report.conforms, "SHACL violations:\n" + "\n".join(v.line() for v in report.violations)

    return check
