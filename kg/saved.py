"""Saved SPARQL queries and safe binding of query parameters.

The saved queries are the ``.rq`` files in ``kg/queries``. Each starts with
two comment lines: a title, and the parameters it takes, e.g.::

    # Papers per benchmark
    # Parameters: benchmark (string, optional): a name or alias; all benchmarks when unset

`bind_parameters` binds parameter values to query variables of the same
name by inserting a ``VALUES`` block at the start of the query's WHERE
group. Each value becomes an RDF term (`pyoxigraph.Literal` or
`pyoxigraph.NamedNode`) first and is written in its escaped N-Triples
form, so user text never becomes SPARQL syntax. A parameter that is not
given stays unbound, and each saved query treats an unbound parameter as
"no filter" or as a documented default.

A ``name`` parameter is an entity name. It is bound to the string literal
of its `kg.resolve.entity_key`, which the query compares with the
``kg:matchKey`` values of entities (one per distinct normalised label). So
"GRPO", "grpo" and "GRPOs" match the same entity, and the store finds the
match with an index lookup instead of a scan of every label.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph

from kg.errors import ConfigError, QueryError
from kg.resolve import entity_key

__all__ = [
    "PARAMETER_TYPES",
    "QUERIES_DIR",
    "Parameter",
    "SavedQuery",
    "bind_parameters",
    "declared_parameters",
    "load_saved_query",
    "saved_queries",
]

logger = logging.getLogger(__name__)

QUERIES_DIR = Path(__file__).resolve().parent / "queries"

_XSD = "http://www.w3.org/2001/XMLSchema#"
PARAMETER_TYPES: tuple[str, ...] = ("string", "name", "iri", "decimal", "integer", "date")

# A declaration in the parameters comment line: "name (type" where type is
# one of PARAMETER_TYPES.
_DECLARATION = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*) \((" + "|".join(PARAMETER_TYPES) + r")\b")
_PARAMETERS_LINE = re.compile(r"^#\s*Parameters:(.*)$", re.MULTILINE)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")
_INTEGER = re.compile(r"[+-]?\d+")
# xsd:date lexical form without a time zone, which is what kg exports.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class Parameter:
    """A parameter that a query declares in its parameters comment line."""

    name: str
    type: str


@dataclass(frozen=True, slots=True)
class SavedQuery:
    """A saved query file.

    Attributes
    ----------
    name : str
        The file name without ``.rq``, as `kg query --saved` takes it.
    title : str
        The first comment line, without ``#``.
    parameters_line : str
        The second comment line, without ``#``.
    parameters : tuple of Parameter
    text : str
        The whole query, comments included.
    """

    name: str
    title: str
    parameters_line: str
    parameters: tuple[Parameter, ...]
    text: str


def declared_parameters(sparql: str) -> tuple[Parameter, ...]:
    """Return the parameters that the ``# Parameters:`` comment line of `sparql` declares."""
    match = _PARAMETERS_LINE.search(sparql)
    if match is None:
        return ()
    return tuple(Parameter(name, kind) for name, kind in _DECLARATION.findall(match.group(1)))


def _read_saved(path: Path) -> SavedQuery:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if len(lines) < 2 or not lines[0].startswith("# ") or not lines[1].startswith("# "):
        raise ConfigError(f"{path}: a saved query must start with two '# ' comment lines (title, parameters)")
    return SavedQuery(
        name=path.stem,
        title=lines[0][2:].strip(),
        parameters_line=lines[1][2:].strip(),
        parameters=declared_parameters(text),
        text=text,
    )


def saved_queries(folder: str | Path = QUERIES_DIR) -> dict[str, SavedQuery]:
    """Return the saved queries of `folder` by name, sorted by name.

    Raises
    ------
    ConfigError
        If a query file lacks its two comment lines.
    """
    return {path.stem: _read_saved(path) for path in sorted(Path(folder).glob("*.rq"))}


def load_saved_query(name: str, *, folder: str | Path = QUERIES_DIR) -> SavedQuery:
    """Return the saved query called `name`.

    Raises
    ------
    ConfigError
        If there is no saved query of that name.
    """
    path = Path(folder) / f"{name}.rq"
    if not _NAME.fullmatch(name.replace("-", "_")) or not path.is_file():
        available = ", ".join(saved_queries(folder)) or "none"
        raise ConfigError(f"Unknown saved query {name!r}; expected one of: {available}.")
    return _read_saved(path)


def _term(parameter: Parameter, value: str) -> pyoxigraph.NamedNode | pyoxigraph.Literal:
    kind = parameter.type
    if kind == "string":
        return pyoxigraph.Literal(value)
    if kind == "name":
        key = entity_key(value)
        if not key:
            raise ConfigError(
                f"Invalid value for parameter {parameter.name!r}: {value!r} has no letters or digits; expected an entity name."
            )
        return pyoxigraph.Literal(key)
    if kind == "iri":
        iri = value[1:-1] if value.startswith("<") and value.endswith(">") else value
        try:
            return pyoxigraph.NamedNode(iri)
        except ValueError as err:
            raise ConfigError(f"Invalid value for parameter {parameter.name!r}: {value!r} is not an absolute IRI ({err}).") from err
    patterns = {"decimal": _DECIMAL, "integer": _INTEGER, "date": _DATE}
    if not patterns[kind].fullmatch(value.strip()):
        raise ConfigError(f"Invalid value for parameter {parameter.name!r}: {value!r} is not an xsd:{kind}.")
    value = value.strip()
    if kind == "decimal":
        try:
            Decimal(value)
        except InvalidOperation as err:
            raise ConfigError(f"Invalid value for parameter {parameter.name!r}: {value!r} is not an xsd:decimal.") from err
    return pyoxigraph.Literal(value, datatype=pyoxigraph.NamedNode(_XSD + kind))


def _skip_string(sparql: str, index: int) -> int:
    """Return the index after the string literal that starts at `index`."""
    quote = sparql[index]
    delimiter = quote * 3 if sparql.startswith(quote * 3, index) else quote
    position = index + len(delimiter)
    while position < len(sparql):
        if sparql[position] == "\\":
            position += 2
            continue
        if sparql.startswith(delimiter, position):
            return position + len(delimiter)
        position += 1
    raise QueryError("Invalid SPARQL query: a string literal is not closed.")


def _group_starts(sparql: str) -> list[tuple[int, int]]:
    """Return (depth, index) of each "{" outside comments, strings and IRIs."""
    starts = []
    depth = 0
    index = 0
    while index < len(sparql):
        character = sparql[index]
        if character == "#":
            newline = sparql.find("\n", index)
            index = len(sparql) if newline < 0 else newline
            continue
        if character in "\"'":
            index = _skip_string(sparql, index)
            continue
        if character == "<":
            # An IRI reference has no spaces, quotes or braces. A "<" that
            # does not open one is the less-than operator.
            match = re.compile(r"<[^<>\"{}|^`\\\s]*>").match(sparql, index)
            if match:
                index = match.end()
                continue
        if character == "{":
            starts.append((depth, index))
            depth += 1
        elif character == "}":
            depth -= 1
        index += 1
    return starts


# A comment line that marks the next group of a saved query as one more
# place for the VALUES block of `bind_parameters`.
_BIND_MARKER = re.compile(r"^[ \t]*# kg:bind-parameters[ \t]*$", re.MULTILINE)


def _where_group_start(sparql: str) -> int:
    """Return the index of the "{" that opens the WHERE group of `sparql`."""
    top_level = [index for depth, index in _group_starts(sparql) if depth == 0]
    if not top_level:
        raise QueryError("Invalid SPARQL query: no WHERE group { ... } to bind parameters in.")
    # CONSTRUCT { template } WHERE { pattern }: the second top-level group,
    # unless the short form CONSTRUCT WHERE { pattern } is used.
    head = sparql[: top_level[0]]
    head_without_comments = re.sub(r"#[^\n]*", "", head)
    is_construct_template = re.search(r"\bCONSTRUCT\s*$", head_without_comments, re.IGNORECASE) is not None
    if is_construct_template and len(top_level) > 1:
        return top_level[1]
    return top_level[0]


def bind_parameters(sparql: str, values: Mapping[str, str]) -> str:
    """Bind parameter values to the query variables of the same names.

    Parameters
    ----------
    sparql : str
        A SPARQL query. Parameters declared in its ``# Parameters:`` line
        get the declared type; others are bound as plain string literals.
    values : mapping of str to str
        Parameter name (without ``?``) to the raw value.

    Returns
    -------
    str
        The query with ``VALUES (?name ...) { (term ...) }`` inserted at
        the start of its WHERE group, or `sparql` unchanged when `values` is
        empty.

    Raises
    ------
    ConfigError
        If a name is not a SPARQL variable name, a saved query does not
        declare it, or a value does not fit the declared type.

    Examples
    --------
    >>> bind_parameters('SELECT ?t WHERE { ?p dcterms:title ?t }', {"t": 'say "hi"'})
    'SELECT ?t WHERE { VALUES (?t) { ("say \\\\"hi\\\\"") } ?p dcterms:title ?t }'
    """
    if not values:
        return sparql
    declared = {parameter.name: parameter for parameter in declared_parameters(sparql)}
    terms = []
    for name, value in values.items():
        if not _NAME.fullmatch(name):
            raise ConfigError(f"Invalid parameter name {name!r}; expected a SPARQL variable name such as 'benchmark'.")
        if declared and name not in declared:
            raise ConfigError(f"Unknown parameter {name!r}; this query takes: {', '.join(declared)}.")
        parameter = declared.get(name, Parameter(name, "string"))
        terms.append((name, _term(parameter, value)))

    variables = " ".join(f"?{name}" for name, _ in terms)
    row = " ".join(str(term) for _, term in terms)
    block = f" VALUES ({variables}) {{ ({row}) }}"
    starts = [_where_group_start(sparql) + 1]
    # A sub-SELECT is evaluated on its own and cannot see the outer VALUES,
    # so a group after a marker comment gets its own copy of the block.
    group_starts = [index for _, index in _group_starts(sparql)]
    for marker in _BIND_MARKER.finditer(sparql):
        following = [index for index in group_starts if index > marker.end()]
        if following:
            starts.append(following[0] + 1)
    logger.debug("Bound parameters %s", ", ".join(f"?{name} = {term}" for name, term in terms))
    for start in sorted(set(starts), reverse=True):
        sparql = sparql[:start] + block + sparql[start:]
    return sparql
