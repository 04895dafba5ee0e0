import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Relation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RELATION_UNSPECIFIED: _ClassVar[Relation]
    RELATION_ORIGINAL: _ClassVar[Relation]
    RELATION_REPUBLICATION: _ClassVar[Relation]
    RELATION_PARTIAL: _ClassVar[Relation]
    RELATION_TRANSLATION: _ClassVar[Relation]
    RELATION_UPDATE: _ClassVar[Relation]
    RELATION_NONE: _ClassVar[Relation]
RELATION_UNSPECIFIED: Relation
RELATION_ORIGINAL: Relation
RELATION_REPUBLICATION: Relation
RELATION_PARTIAL: Relation
RELATION_TRANSLATION: Relation
RELATION_UPDATE: Relation
RELATION_NONE: Relation

class Document(_message.Message):
    __slots__ = ("id", "text", "title", "source", "language", "published_at", "url")
    ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    id: str
    text: str
    title: str
    source: str
    language: str
    published_at: _timestamp_pb2.Timestamp
    url: str
    def __init__(self, id: _Optional[str] = ..., text: _Optional[str] = ..., title: _Optional[str] = ..., source: _Optional[str] = ..., language: _Optional[str] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., url: _Optional[str] = ...) -> None: ...

class IndexRequest(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: Document
    def __init__(self, document: _Optional[_Union[Document, _Mapping]] = ...) -> None: ...

class IndexResponse(_message.Message):
    __slots__ = ("created", "lineage_id", "parent_id", "relation", "score")
    CREATED_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    created: bool
    lineage_id: str
    parent_id: str
    relation: Relation
    score: float
    def __init__(self, created: _Optional[bool] = ..., lineage_id: _Optional[str] = ..., parent_id: _Optional[str] = ..., relation: _Optional[_Union[Relation, str]] = ..., score: _Optional[float] = ...) -> None: ...

class IndexStreamRequest(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: Document
    def __init__(self, document: _Optional[_Union[Document, _Mapping]] = ...) -> None: ...

class IndexStreamResponse(_message.Message):
    __slots__ = ("created", "replaced", "rejected", "rejections")
    CREATED_FIELD_NUMBER: _ClassVar[int]
    REPLACED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    REJECTIONS_FIELD_NUMBER: _ClassVar[int]
    created: int
    replaced: int
    rejected: int
    rejections: _containers.RepeatedCompositeFieldContainer[Rejection]
    def __init__(self, created: _Optional[int] = ..., replaced: _Optional[int] = ..., rejected: _Optional[int] = ..., rejections: _Optional[_Iterable[_Union[Rejection, _Mapping]]] = ...) -> None: ...

class Rejection(_message.Message):
    __slots__ = ("id", "position", "field", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    position: int
    field: str
    reason: str
    def __init__(self, id: _Optional[str] = ..., position: _Optional[int] = ..., field: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ScoreRequest(_message.Message):
    __slots__ = ("document", "top_k", "index")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    document: Document
    top_k: int
    index: bool
    def __init__(self, document: _Optional[_Union[Document, _Mapping]] = ..., top_k: _Optional[int] = ..., index: _Optional[bool] = ...) -> None: ...

class ScoreResponse(_message.Message):
    __slots__ = ("matches", "lineage_id", "parent_id", "relation", "score", "created")
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    matches: _containers.RepeatedCompositeFieldContainer[Match]
    lineage_id: str
    parent_id: str
    relation: Relation
    score: float
    created: bool
    def __init__(self, matches: _Optional[_Iterable[_Union[Match, _Mapping]]] = ..., lineage_id: _Optional[str] = ..., parent_id: _Optional[str] = ..., relation: _Optional[_Union[Relation, str]] = ..., score: _Optional[float] = ..., created: _Optional[bool] = ...) -> None: ...

class Match(_message.Message):
    __slots__ = ("id", "relation", "query_is_derived", "score", "cosine", "containment_query_in_match", "containment_match_in_query", "lineage_id", "passages", "title", "source", "published_at", "language", "translation")
    ID_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    QUERY_IS_DERIVED_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COSINE_FIELD_NUMBER: _ClassVar[int]
    CONTAINMENT_QUERY_IN_MATCH_FIELD_NUMBER: _ClassVar[int]
    CONTAINMENT_MATCH_IN_QUERY_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PASSAGES_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TRANSLATION_FIELD_NUMBER: _ClassVar[int]
    id: str
    relation: Relation
    query_is_derived: bool
    score: float
    cosine: float
    containment_query_in_match: float
    containment_match_in_query: float
    lineage_id: str
    passages: _containers.RepeatedCompositeFieldContainer[Passage]
    title: str
    source: str
    published_at: _timestamp_pb2.Timestamp
    language: str
    translation: TranslationEvidence
    def __init__(self, id: _Optional[str] = ..., relation: _Optional[_Union[Relation, str]] = ..., query_is_derived: _Optional[bool] = ..., score: _Optional[float] = ..., cosine: _Optional[float] = ..., containment_query_in_match: _Optional[float] = ..., containment_match_in_query: _Optional[float] = ..., lineage_id: _Optional[str] = ..., passages: _Optional[_Iterable[_Union[Passage, _Mapping]]] = ..., title: _Optional[str] = ..., source: _Optional[str] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., language: _Optional[str] = ..., translation: _Optional[_Union[TranslationEvidence, _Mapping]] = ...) -> None: ...

class TranslationEvidence(_message.Message):
    __slots__ = ("lead_cosine", "lead_rank", "figures_in_common", "names_in_common")
    LEAD_COSINE_FIELD_NUMBER: _ClassVar[int]
    LEAD_RANK_FIELD_NUMBER: _ClassVar[int]
    FIGURES_IN_COMMON_FIELD_NUMBER: _ClassVar[int]
    NAMES_IN_COMMON_FIELD_NUMBER: _ClassVar[int]
    lead_cosine: float
    lead_rank: int
    figures_in_common: float
    names_in_common: float
    def __init__(self, lead_cosine: _Optional[float] = ..., lead_rank: _Optional[int] = ..., figures_in_common: _Optional[float] = ..., names_in_common: _Optional[float] = ...) -> None: ...

class Passage(_message.Message):
    __slots__ = ("query_start", "query_end", "match_start", "match_end", "tokens", "text")
    QUERY_START_FIELD_NUMBER: _ClassVar[int]
    QUERY_END_FIELD_NUMBER: _ClassVar[int]
    MATCH_START_FIELD_NUMBER: _ClassVar[int]
    MATCH_END_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    query_start: int
    query_end: int
    match_start: int
    match_end: int
    tokens: int
    text: str
    def __init__(self, query_start: _Optional[int] = ..., query_end: _Optional[int] = ..., match_start: _Optional[int] = ..., match_end: _Optional[int] = ..., tokens: _Optional[int] = ..., text: _Optional[str] = ...) -> None: ...

class DeleteRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetLineageRequest(_message.Message):
    __slots__ = ("id", "lineage_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    lineage_id: str
    def __init__(self, id: _Optional[str] = ..., lineage_id: _Optional[str] = ...) -> None: ...

class GetLineageResponse(_message.Message):
    __slots__ = ("lineage_id", "nodes")
    LINEAGE_ID_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    lineage_id: str
    nodes: _containers.RepeatedCompositeFieldContainer[LineageNode]
    def __init__(self, lineage_id: _Optional[str] = ..., nodes: _Optional[_Iterable[_Union[LineageNode, _Mapping]]] = ...) -> None: ...

class LineageNode(_message.Message):
    __slots__ = ("id", "parent_id", "relation", "score", "source", "published_at", "title")
    ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    id: str
    parent_id: str
    relation: Relation
    score: float
    source: str
    published_at: _timestamp_pb2.Timestamp
    title: str
    def __init__(self, id: _Optional[str] = ..., parent_id: _Optional[str] = ..., relation: _Optional[_Union[Relation, str]] = ..., score: _Optional[float] = ..., source: _Optional[str] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., title: _Optional[str] = ...) -> None: ...

class StatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StatsResponse(_message.Message):
    __slots__ = ("documents", "lineages", "unlinked_documents", "links", "bytes_on_disk", "uptime")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    LINEAGES_FIELD_NUMBER: _ClassVar[int]
    UNLINKED_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    BYTES_ON_DISK_FIELD_NUMBER: _ClassVar[int]
    UPTIME_FIELD_NUMBER: _ClassVar[int]
    documents: int
    lineages: int
    unlinked_documents: int
    links: int
    bytes_on_disk: int
    uptime: _duration_pb2.Duration
    def __init__(self, documents: _Optional[int] = ..., lineages: _Optional[int] = ..., unlinked_documents: _Optional[int] = ..., links: _Optional[int] = ..., bytes_on_disk: _Optional[int] = ..., uptime: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...
