from __future__ import annotations

from pathlib import Path

import pytest

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
