"""Stable codes for GraphQL errors: each carries `extensions: {code, field}`, as a REST error carries both.

A field that raised an ApiError keeps the REST API's code and field (`invalid_query`,
`site_not_found`, `insufficient_scope`, ...). Errors found before execution are
`graphql_parse_failed` or `graphql_validation_failed`, unless a limit gave its own code
(see limits.py). Anything else is a bug: it is logged, and the client sees `internal_error` without
its message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from analytics_site.errors import ApiError

PARSE_FAILED = "graphql_parse_failed"
VALIDATION_FAILED = "graphql_validation_failed"
INTERNAL = "internal_error"


def coded_error(message: str, code: str, *, field: str | None = None) -> GraphQLError:
    """Return an error of the whole request with a stable code."""
    return GraphQLError(message, extensions={"code": code, "field": field})


def error_code(error: GraphQLError) -> tuple[str, str | None]:
    """Return the error's (code, field); INTERNAL for an error the client did not cause."""
    extensions: dict[str, Any] = error.extensions or {}
    cause = error.original_error
    if "code" in extensions:
        return extensions["code"], extensions.get("field")
    if isinstance(cause, ApiError):
        return cause.code, cause.field
    if isinstance(error, GraphQLSyntaxError):
        return PARSE_FAILED, None
    # Without a path the error is the document's or its variables' (graphql-core wraps a variable
    # that does not coerce around its own GraphQLError); any other exception there is ours.
    if error.path is None and (cause is None or isinstance(cause, GraphQLError)):
        return VALIDATION_FAILED, None
    return INTERNAL, None


def with_code(error: GraphQLError) -> GraphQLError:
    """Return the error with its code and field in `extensions`; a bug's message is not shown."""
    code, field = error_code(error)
    if code == INTERNAL:
        extensions = {"code": INTERNAL, "field": None}
        return GraphQLError("Internal error.", error.nodes, path=error.path, extensions=extensions)
    error.extensions = {**(error.extensions or {}), "code": code, "field": field}
    return error


class StableErrorCodes(SchemaExtension):
    """Put every error's code in its extensions, once the operation has run (or failed before running)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [with_code(error) for error in result.errors]


class FootfallSchema(strawberry.Schema):
    """A strawberry schema that logs only the errors that are bugs; a client's bad query is answered, not logged."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            if error_code(error)[0] == INTERNAL:
                StrawberryLogger.error(error, execution_context)
