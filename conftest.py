"""Collection settings for the doctests in kg's modules."""

from __future__ import annotations

from importlib.util import find_spec

# kg.distributed imports Dask, an optional extra (pip install 'kg[dask]');
# without it, importing the module raises, so its doctests are not collected.
collect_ignore = [] if find_spec("distributed") else ["kg/distributed.py"]
