"""VoID and DCAT description of an export, written as ``void.ttl`` beside the data files.

The description names the dataset ``<void.ttl#dataset>`` and its dumps by
relative IRIs (``<graph.ttl>``), so they resolve against wherever the folder
is copied or served. It states the counts (triples, distinct subjects and
objects, entities, and per class and per property), the creation time, the
input files, the license when one is given, and one DCAT distribution per
data file with its media type and size.

``dcterms:created`` is the time of writing, so ``void.ttl`` differs between
two runs even when the data files are byte-identical.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, VOID, XSD

from kg.errors import ConfigError
from kg.io import atomic_write
from kg.rdf import KG, KG_NAMESPACE, RDF_MEDIA_TYPES, is_valid_iri

__all__ = ["VOID_FILE", "DatasetStatistics", "count_graph", "describe_dataset", "write_void"]

logger = logging.getLogger(__name__)

VOID_FILE = "void.ttl"

# Stand-in base IRI while the description is built: every IRI under it is
# written relative to the file.
_PLACEHOLDER_BASE = "file:///kg-void-placeholder/"
_MEDIA_TYPES = Namespace("https://www.iana.org/assignments/media-types/")
_ONTOLOGY = URIRef(KG_NAMESPACE.rstrip("#"))


def _local(name: str) -> URIRef:
    return URIRef(_PLACEHOLDER_BASE + quote(name, safe=""))


@dataclass
class DatasetStatistics:
    """The counts of an RDF export that ``void.ttl`` states.

    Attributes
    ----------
    triples, distinct_subjects, distinct_objects, entities : int
        Distinct triples, subjects and objects, and subjects typed ``kg:Entity``.
    classes, properties : collections.Counter
        Instances per class (objects of ``rdf:type``) and triples per property.
    """

    triples: int = 0
    distinct_subjects: int = 0
    distinct_objects: int = 0
    entities: int = 0
    classes: Counter[URIRef] = field(default_factory=Counter)
    properties: Counter[URIRef] = field(default_factory=Counter)


def count_graph(rdf: Graph) -> DatasetStatistics:
    """Count the `DatasetStatistics` of an rdflib graph held in memory."""
    return DatasetStatistics(
        triples=len(rdf),
        distinct_subjects=len(set(rdf.subjects(unique=True))),
        distinct_objects=len(set(rdf.objects(unique=True))),
        entities=len(set(rdf.subjects(RDF.type, KG.Entity, unique=True))),
        classes=Counter(target for _, target in rdf.subject_objects(RDF.type)),
        properties=Counter(predicate for _, predicate, _ in rdf),
    )


def describe_dataset(
    rdf: Graph | DatasetStatistics,
    dumps: Mapping[str, Path],
    *,
    created: datetime.datetime,
    sources: Sequence[str] = (),
    license_iri: str | None = None,
    base_iri: str | None = None,
) -> Graph:
    """Build the VoID and DCAT description of `rdf` as an rdflib graph.

    Parameters
    ----------
    rdf : rdflib.Graph or DatasetStatistics
        The exported data, to count, or its counts (as
        `kg.rdf_stream.write_rdf_files` returns them).
    dumps : mapping of format name to path
        The files that contain `rdf`, by format name of `kg.rdf.RDF_FORMATS`.
        Each must exist, and they must share one folder with the description.
    created : datetime.datetime
        The time of the export, written as ``dcterms:created``.
    sources : sequence of str
        Names of the input files, written as ``dcterms:source`` literals.
    license_iri : str, optional
        IRI of the data's license (``dcterms:license``); omitted when None.
    base_iri : str, optional
        The namespace of the data's IRIs (``void:uriSpace``).

    Raises
    ------
    ConfigError
        If `license_iri` is not an absolute IRI.
    """
    if license_iri is not None and not is_valid_iri(license_iri):
        raise ConfigError(
            f"Invalid license IRI {license_iri!r}: expected an absolute IRI such as "
            "'https://creativecommons.org/licenses/by/4.0/'."
        )

    void = Graph(bind_namespaces="none")
    for prefix, namespace in (("dcat", DCAT), ("dcterms", DCTERMS), ("kg", KG_NAMESPACE), ("void", VOID), ("xsd", XSD)):
        void.bind(prefix, namespace)

    dataset = URIRef(_PLACEHOLDER_BASE + "void.ttl#dataset")
    void.add((dataset, RDF.type, VOID.Dataset))
    void.add((dataset, RDF.type, DCAT.Dataset))
    void.add((dataset, DCTERMS.title, Literal("kg knowledge graph of " + ", ".join(sources) if sources else "kg knowledge graph")))
    void.add((dataset, DCTERMS.created, Literal(created.isoformat(timespec="seconds"), datatype=XSD.dateTime)))
    if license_iri is not None:
        void.add((dataset, DCTERMS.license, URIRef(license_iri)))
    for source in sorted(sources):
        void.add((dataset, DCTERMS.source, Literal(source)))
    void.add((dataset, VOID.vocabulary, URIRef(KG_NAMESPACE)))
    void.add((dataset, DCTERMS.conformsTo, _ONTOLOGY))
    if base_iri is not None:
        void.add((dataset, VOID.uriSpace, Literal(base_iri)))

    statistics = rdf if isinstance(rdf, DatasetStatistics) else count_graph(rdf)
    void.add((dataset, VOID.triples, Literal(statistics.triples)))
    void.add((dataset, VOID.distinctSubjects, Literal(statistics.distinct_subjects)))
    void.add((dataset, VOID.distinctObjects, Literal(statistics.distinct_objects)))
    void.add((dataset, VOID.entities, Literal(statistics.entities)))

    for index, (cls, count) in enumerate(sorted(statistics.classes.items())):
        partition = BNode(f"class{index}")
        void.add((dataset, VOID.classPartition, partition))
        void.add((partition, VOID["class"], cls))
        void.add((partition, VOID.entities, Literal(count)))
    for index, (prop, count) in enumerate(sorted(statistics.properties.items())):
        partition = BNode(f"property{index}")
        void.add((dataset, VOID.propertyPartition, partition))
        void.add((partition, VOID.property, prop))
        void.add((partition, VOID.triples, Literal(count)))

    for rdf_format, path in sorted(dumps.items()):
        dump = _local(Path(path).name)
        void.add((dataset, VOID.dataDump, dump))
        void.add((dataset, DCAT.distribution, dump))
        void.add((dump, RDF.type, DCAT.Distribution))
        void.add((dump, DCAT.downloadURL, dump))
        void.add((dump, DCAT.mediaType, _MEDIA_TYPES[RDF_MEDIA_TYPES[rdf_format]]))
        void.add((dump, DCAT.byteSize, Literal(Path(path).stat().st_size, datatype=XSD.nonNegativeInteger)))
        void.add((dump, DCTERMS["format"], Literal(RDF_MEDIA_TYPES[rdf_format])))
    return void


def write_void(
    path: str | Path,
    rdf: Graph | DatasetStatistics,
    dumps: Mapping[str, Path],
    *,
    created: datetime.datetime | None = None,
    sources: Sequence[str] = (),
    license_iri: str | None = None,
    base_iri: str | None = None,
) -> Path:
    """Write the VoID and DCAT description of `rdf` (see `describe_dataset`) as Turtle.

    `path` is the description's file, normally ``void.ttl`` in the folder of
    the dumps; `created` defaults to the current UTC time. Returns `path`.
    """
    path = Path(path)
    if created is None:
        created = datetime.datetime.now(datetime.timezone.utc)
    void = describe_dataset(rdf, dumps, created=created, sources=sources, license_iri=license_iri, base_iri=base_iri)
    # Cutting the placeholder makes the IRIs relative, so they resolve
    # against the file itself. No other IRI can contain the placeholder,
    # because file names are percent-encoded into it.
    text = void.serialize(format="turtle").replace(f"<{_PLACEHOLDER_BASE}", "<")
    with atomic_write(path) as handle:
        handle.write(text)
    logger.info("Wrote the dataset description %s", path)
    return path
