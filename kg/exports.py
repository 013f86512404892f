"""Network exports for Gephi, Cytoscape, NetworkX and d3: GraphML, GEXF, node-link JSON.

`write_network` and `read_network` round-trip a NetworkX graph exactly, with
the exceptions listed under Notes of `write_network`. GraphML and GEXF store
only strings, numbers and booleans, and a reader expects one value type per
attribute name, so the writer encodes every attribute with a single type:

- a name whose values are all ``str``, all ``int``, all ``float`` or all
  ``bool`` keeps that type;
- lists and dicts become JSON text (marker ``list`` or ``dict``), and so does
  every value of a name whose values mix types (marker ``json``);
- ``None`` is left out of the element, and the element's ``kg_null``
  attribute lists the names that were ``None`` (as a JSON array).

The markers, the graph's own attributes and its class are kept in a schema
that travels with the file: the ``kg_schema`` graph attribute in GraphML and
node-link JSON, the ``<meta><description>`` element in GEXF. A file without a
schema (written by another tool) is read as NetworkX reads it.

Node-link JSON keeps lists, dicts and ``None`` as JSON values, so d3 and other
JavaScript readers see them as they are.
"""

from __future__ import annotations

import io
import json
import logging
import numbers
import re
import warnings
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx

from kg.errors import ExportError, InputError
from kg.io import atomic_write

__all__ = [
    "NETWORK_FORMATS",
    "SCHEMA_ATTRIBUTE",
    "format_from_suffix",
    "read_network",
    "write_network",
]

logger = logging.getLogger(__name__)

# Format name -> file suffix.
NETWORK_FORMATS: dict[str, str] = {"graphml": ".graphml", "gexf": ".gexf", "json": ".json"}

# Graph attribute (GraphML, JSON) that stores the schema as JSON text.
SCHEMA_ATTRIBUTE = "kg_schema"
_SCHEMA_VERSION = 1

# Element attributes that the encoding adds. A graph whose own attributes use
# these names cannot be written, because the reader could not tell them apart.
_NULL_COLUMN = "kg_null"
_KEY_COLUMN = "kg_key"
_RESERVED_PREFIX = "kg_"

# Names that GEXF readers take as the element's own XML attributes (networkx
# 3.6 `GEXFWriter.add_nodes`/`add_edges`). kg attributes with these names are
# stored under "kg_<name>" columns instead, except where noted in `_gexf_columns`.
_GEXF_NODE_RESERVED = frozenset({"id", "key", "label", "pid", "start", "end", "viz", "networkx_key"})
_GEXF_EDGE_RESERVED = frozenset({"id", "key", "label", "weight", "type", "start", "end", "networkx_key"})

# Names that node-link JSON uses for the node id and the edge ends and key.
_JSON_NODE_RESERVED = frozenset({"id"})
_JSON_EDGE_RESERVED = frozenset({"source", "target", "key"})

_GEXF_NAMESPACE = "http://www.gexf.net/1.2draft"

# Characters that XML 1.0 forbids (section 2.2 "Characters"): C0 controls
# other than tab, line feed and carriage return, lone surrogates, U+FFFE, U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class _Cleaner:
    """Remove XML-illegal characters from strings and count them."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.removed = 0

    def __call__(self, text: str) -> str:
        if not self.enabled:
            return text
        cleaned, count = _XML_ILLEGAL.subn("", text)
        self.removed += count
        return cleaned


def format_from_suffix(path: str | Path) -> str:
    """Return the network format that a file name's suffix stands for.

    Raises
    ------
    InputError
        If the suffix is not one of `NETWORK_FORMATS`.
    """
    suffix = Path(path).suffix.lower()
    for name, format_suffix in NETWORK_FORMATS.items():
        if suffix == format_suffix:
            return name
    choices = ", ".join(NETWORK_FORMATS.values())
    raise InputError(str(path), f"unknown network file suffix {suffix!r}; expected one of {choices}, or pass format=")


def _check_format(format: str, path: str | Path) -> str:
    if format not in NETWORK_FORMATS:
        raise InputError(str(path), f"unknown network format {format!r}; expected one of {', '.join(NETWORK_FORMATS)}")
    return format


def _plain(value: Any) -> Any:
    """Turn NumPy scalars into the Python values they hold."""
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        return value.item()
    return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return "json"


def _markers(elements: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Return one type marker per attribute name, over all elements of one kind."""
    kinds: dict[str, set[str]] = {}
    for data in elements:
        for name, value in data.items():
            found = kinds.setdefault(name, set())
            if value is not None:
                found.add(_kind(_plain(value)))
    markers = {}
    for name, found in kinds.items():
        if not found:
            markers[name] = "str"
        elif len(found) == 1:
            markers[name] = next(iter(found))
        else:
            markers[name] = "json"
    return markers


def _dump_json(value: Any, where: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=False)
    except (TypeError, ValueError) as err:
        raise ExportError(f"{where}: value {value!r} cannot be stored as JSON ({err}); convert it to a list, dict or string") from err


def _encode_value(value: Any, marker: str, where: str, clean: _Cleaner) -> Any:
    value = _plain(value)
    if marker in {"list", "dict", "json"}:
        if isinstance(value, tuple):
            value = list(value)
        return clean(_dump_json(value, where))
    if marker == "str":
        return clean(value)
    if marker == "float":
        return float(value)
    if marker == "int":
        return int(value)
    return value


def _decode_value(value: Any, marker: str) -> Any:
    if marker in {"list", "dict", "json"}:
        return json.loads(value) if isinstance(value, str) else value
    if marker == "int":
        return int(value)
    if marker == "float":
        return float(value)
    if marker == "bool":
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1"}
        return bool(value)
    if marker == "str":
        return "" if value is None else str(value)
    return value


def _encode_node_id(node: Any, id_marker: str, clean: _Cleaner) -> Any:
    if id_marker == "json":
        return clean(_dump_json(node, f"node {node!r}"))
    return clean(node)


def _columns(markers: dict[str, str], reserved: frozenset[str], kind: str) -> dict[str, str]:
    """Map each attribute name to the column it is written under."""
    columns = {}
    for name in markers:
        if name.startswith(_RESERVED_PREFIX):
            raise ExportError(
                f"{kind} attribute {name!r} starts with {_RESERVED_PREFIX!r}, which the export reserves for its "
                "own columns; rename the attribute before writing"
            )
        columns[name] = f"{_RESERVED_PREFIX}{name}" if name in reserved else name
    return columns


def _gexf_columns(graph: nx.Graph, node_markers: dict[str, str], edge_markers: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    node_reserved = set(_GEXF_NODE_RESERVED)
    # GEXF shows a node's "label" in Gephi: keep it there when every node has a string label,
    # because the reader gives a node without one its id as label.
    if node_markers.get("label") == "str" and all(isinstance(data.get("label"), str) for _, data in graph.nodes(data=True)):
        node_reserved.discard("label")
    edge_reserved = set(_GEXF_EDGE_RESERVED)
    # Gephi reads an edge's "weight" and "label" natively; the reader returns
    # weights as floats, which the schema's marker turns back into ints.
    if edge_markers.get("weight") in {"int", "float"}:
        edge_reserved.discard("weight")
    if edge_markers.get("label") == "str":
        edge_reserved.discard("label")
    return (
        _columns(node_markers, frozenset(node_reserved), "node"),
        _columns(edge_markers, frozenset(edge_reserved), "edge"),
    )


def _encode_element(data: dict[str, Any], markers: dict[str, str], columns: dict[str, str], where: str, clean: _Cleaner, *, native: bool) -> dict[str, Any]:
    encoded: dict[str, Any] = {}
    nulls = []
    for name, value in data.items():
        if native:
            encoded[columns[name]] = _plain(value)
            continue
        if value is None:
            nulls.append(name)
            continue
        encoded[columns[name]] = _encode_value(value, markers[name], f"{where}, attribute {name!r}", clean)
    if nulls:
        encoded[_NULL_COLUMN] = clean(json.dumps(nulls, ensure_ascii=False))
    return encoded


def _decode_element(data: dict[str, Any], markers: dict[str, str], columns: dict[str, str]) -> dict[str, Any]:
    names_by_column = {column: name for name, column in columns.items()}
    decoded = {}
    for column, value in data.items():
        name = names_by_column.get(column)
        if name is None:
            continue
        decoded[name] = _decode_value(value, markers[name])
    for name in json.loads(data.get(_NULL_COLUMN, "[]")):
        decoded[name] = None
    # Keep the attribute order of the written graph.
    return {name: decoded[name] for name in columns if name in decoded}


def _encode(graph: nx.Graph, format: str, clean: _Cleaner) -> nx.Graph:
    """Return a plain graph that the format's NetworkX writer stores exactly; the schema is a graph attribute."""
    node_markers = _markers(data for _, data in graph.nodes(data=True))
    edge_markers = _markers(data for *_, data in graph.edges(data=True))
    if format == "gexf":
        node_columns, edge_columns = _gexf_columns(graph, node_markers, edge_markers)
    elif format == "json":
        node_columns = _columns(node_markers, _JSON_NODE_RESERVED, "node")
        edge_columns = _columns(edge_markers, _JSON_EDGE_RESERVED, "edge")
    else:
        node_columns = _columns(node_markers, frozenset(), "node")
        edge_columns = _columns(edge_markers, frozenset(), "edge")
    native = format == "json"
    id_marker = "str" if native or all(isinstance(node, str) for node in graph) else "json"

    plain = nx.MultiDiGraph() if graph.is_directed() else nx.MultiGraph()
    ids: dict[Any, Any] = {}
    for node, data in graph.nodes(data=True):
        node_id = node if native else _encode_node_id(node, id_marker, clean)
        if node_id in plain:
            raise ExportError(f"node {node!r}: its id equals that of another node once XML-illegal characters are removed")
        ids[node] = node_id
        plain.add_node(node_id, **_encode_element(data, node_markers, node_columns, f"node {node!r}", clean, native=native))

    key_marker = "str"
    if graph.is_multigraph():
        key_marker = "str" if all(isinstance(key, str) for *_, key in graph.edges(keys=True)) else "json"
        edges: Iterable[tuple[Any, Any, Any, dict[str, Any]]] = graph.edges(keys=True, data=True)
    else:
        edges = ((source, target, None, data) for source, target, data in graph.edges(data=True))
    for index, (source, target, key, data) in enumerate(edges):
        where = f"edge {source!r} -> {target!r}"
        attributes = _encode_element(data, edge_markers, edge_columns, where, clean, native=native)
        if key is not None:
            attributes[_KEY_COLUMN] = key if native else _encode_value(key, key_marker, where, clean)
        plain.add_edge(ids[source], ids[target], key=f"e{index}", **attributes)

    schema = {
        "version": _SCHEMA_VERSION,
        "directed": graph.is_directed(),
        "multigraph": graph.is_multigraph(),
        "node_id": id_marker,
        "edge_key": key_marker,
        "graph": graph.graph,
        "node_attributes": {name: [node_columns[name], marker] for name, marker in node_markers.items()},
        "edge_attributes": {name: [edge_columns[name], marker] for name, marker in edge_markers.items()},
    }
    plain.graph[SCHEMA_ATTRIBUTE] = clean(_dump_json(schema, "graph attributes"))
    return plain


def _decode(stored: nx.Graph, schema: dict[str, Any], format: str) -> nx.Graph:
    native = format == "json"
    if schema["multigraph"]:
        graph = nx.MultiDiGraph() if schema["directed"] else nx.MultiGraph()
    else:
        graph = nx.DiGraph() if schema["directed"] else nx.Graph()
    graph.graph.update(schema["graph"])
    node_markers = {name: marker for name, (_, marker) in schema["node_attributes"].items()}
    node_columns = {name: column for name, (column, _) in schema["node_attributes"].items()}
    edge_markers = {name: marker for name, (_, marker) in schema["edge_attributes"].items()}
    edge_columns = {name: column for name, (column, _) in schema["edge_attributes"].items()}

    def node_id(stored_id: Any) -> Any:
        return json.loads(stored_id) if schema["node_id"] == "json" else stored_id

    for node, data in stored.nodes(data=True):
        if native:
            attributes = {name: data[column] for name, column in node_columns.items() if column in data}
        else:
            attributes = _decode_element(data, node_markers, node_columns)
        graph.add_node(node_id(node), **attributes)
    for source, target, data in stored.edges(data=True):
        if native:
            attributes = {name: data[column] for name, column in edge_columns.items() if column in data}
        else:
            attributes = _decode_element(data, edge_markers, edge_columns)
        if schema["multigraph"]:
            key = data[_KEY_COLUMN] if native else _decode_value(data[_KEY_COLUMN], schema["edge_key"])
            graph.add_edge(node_id(source), node_id(target), key=key, **attributes)
        else:
            graph.add_edge(node_id(source), node_id(target), **attributes)
    return graph


def write_network(graph: nx.Graph, path: str | Path, *, format: str | None = None) -> int:
    """Write `graph` as GraphML, GEXF or node-link JSON that `read_network` reads back unchanged.

    Parameters
    ----------
    graph : networkx.Graph
        Any of Graph, DiGraph, MultiGraph, MultiDiGraph; it is not changed.
    path : path
        Written atomically (temporary file, then rename).
    format : {"graphml", "gexf", "json"}, optional
        Defaults to the format of the file name's suffix (see `NETWORK_FORMATS`).

    Returns
    -------
    int
        The number of XML-illegal characters removed (always 0 for JSON). A
        count above 0 is also reported with a `UserWarning`.

    Raises
    ------
    ExportError
        If an attribute value cannot be stored as JSON (a set, an object), or
        an attribute name starts with "kg_".
    InputError
        If the format is unknown.

    Notes
    -----
    What changes on the way through a file:

    - XML formats drop the characters XML 1.0 forbids (C0 controls except tab,
      line feed and carriage return; lone surrogates; U+FFFE and U+FFFF).
    - Tuples come back as lists; dict keys that are not strings come back as strings.
    - Node ids that are not all strings are stored as JSON text in XML formats,
      so they must be JSON values (int, float, str, bool, None).

    Examples
    --------
    >>> import tempfile, networkx as nx
    >>> graph = nx.MultiDiGraph()
    >>> graph.add_node("a", aliases=["A", "alpha"], date=None)
    >>> path = tempfile.mkdtemp() + "/graph.gexf"
    >>> write_network(graph, path)
    0
    >>> read_network(path).nodes["a"]
    {'aliases': ['A', 'alpha'], 'date': None}
    """
    format = _check_format(format or format_from_suffix(path), path)
    clean = _Cleaner(enabled=format != "json")
    plain = _encode(graph, format, clean)
    if format == "json":
        data = nx.node_link_data(plain, edges="edges")
        with atomic_write(path) as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
            handle.write("\n")
        return 0

    buffer = io.BytesIO()
    if format == "graphml":
        nx.write_graphml(plain, buffer)
        content = buffer.getvalue()
    else:
        schema = plain.graph.pop(SCHEMA_ATTRIBUTE)
        nx.write_gexf(plain, buffer)
        content = _add_gexf_description(buffer.getvalue(), schema)
    # XML parsers turn a literal carriage return in text into a line feed
    # (XML 1.0 section 2.11); a character reference keeps it.
    content = content.replace(b"\r", b"&#13;")
    with atomic_write(path, "wb") as handle:
        handle.write(content)
    if clean.removed:
        logger.info("%s: removed %d XML-illegal characters from attribute values", path, clean.removed)
        warnings.warn(f"{path}: removed {clean.removed} characters that XML 1.0 does not allow", UserWarning, stacklevel=2)
    return clean.removed


def _add_gexf_description(content: bytes, schema: str) -> bytes:
    ElementTree.register_namespace("", _GEXF_NAMESPACE)
    root = ElementTree.fromstring(content)
    meta = root.find(f"{{{_GEXF_NAMESPACE}}}meta")
    if meta is None:
        meta = ElementTree.Element(f"{{{_GEXF_NAMESPACE}}}meta")
        root.insert(0, meta)
    description = ElementTree.SubElement(meta, f"{{{_GEXF_NAMESPACE}}}description")
    description.text = schema
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _gexf_schema(path: Path) -> str | None:
    root = ElementTree.parse(path).getroot()
    for element in root.iter():
        if element.tag.endswith("}description") or element.tag == "description":
            return element.text
    return None


def read_network(path: str | Path, *, format: str | None = None) -> nx.Graph:
    """Read a file written by `write_network` (or by another tool) back into NetworkX.

    Parameters
    ----------
    path : path
    format : {"graphml", "gexf", "json"}, optional
        Defaults to the format of the file name's suffix.

    Returns
    -------
    networkx.Graph
        The class the graph was written with. A file without kg's schema
        comes back as NetworkX's reader returns it.

    Raises
    ------
    InputError
        If the file is missing, cannot be parsed, or has an invalid schema.
    """
    format = _check_format(format or format_from_suffix(path), path)
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "file not found")
    try:
        if format == "json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise InputError(
                    str(path), f"invalid json network file: it contains a JSON {type(data).__name__}; expected a node-link "
                    "object with 'nodes' and 'edges', as kg.write_network and networkx.node_link_data write it"
                )
            stored = nx.node_link_graph(data, edges="edges")
            schema_text = stored.graph.get(SCHEMA_ATTRIBUTE)
        elif format == "graphml":
            stored = nx.read_graphml(path)
            schema_text = stored.graph.get(SCHEMA_ATTRIBUTE)
        else:
            stored = nx.read_gexf(path)
            schema_text = _gexf_schema(path)
    except (ElementTree.ParseError, json.JSONDecodeError, UnicodeDecodeError, KeyError, nx.NetworkXError) as err:
        raise InputError(str(path), f"invalid {format} network file ({err}); expected a file written by kg or by NetworkX") from err
    if schema_text is None:
        logger.info("%s has no kg schema; returning the graph as NetworkX reads it", path)
        return stored
    try:
        schema = json.loads(schema_text)
        if schema.get("version") != _SCHEMA_VERSION:
            raise ValueError(f"schema version {schema.get('version')!r}, expected {_SCHEMA_VERSION}")
        return _decode(stored, schema, format)
    except (ValueError, KeyError, TypeError) as err:
        raise InputError(str(path), f"the kg schema of this {format} file is invalid ({err}); write the file again") from err
