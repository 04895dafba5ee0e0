"""The gRPC door to :mod:`dedup`: ``dedup.v1.Syndication`` with health and reflection.

Only translation lives here (:mod:`server.convert`, :mod:`server.servicer`) and the mapping of
core errors to statuses (:mod:`server.errors`); the generated code is in ``server/_proto``
(``scripts/gen_protos.py``)."""

from .app import SERVICE_NAME, SyndicationServer, create_server, serve

__all__ = ["SERVICE_NAME", "SyndicationServer", "create_server", "serve"]
