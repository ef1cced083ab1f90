"""What one GraphQL request may ask: its size in tokens, its nesting depth, and how many stats fields it runs.

Each stats field (aggregate, timeseries, breakdown, funnel, realtime_visitors) is one call into the stats
layer, so their number is what a request costs. A stats field under `sites` runs once per site the
key reaches and counts that often; fields are counted as written, aliases and fragments included,
@skip or not. A breakdown's `limit` is capped as the REST API caps it (1 to 1000). A request over
a limit is refused whole, before anything runs.

Depth and cost are measured by one walk over the document that expands each named fragment once.
Strawberry's QueryDepthLimiter is not used: it expands a fragment again wherever it is spread, so a
few hundred bytes of fragments that each spread the next one twice keep it busy for minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_operation_ast,
)
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension

from dashboard.graphql.errors import coded_error
from sites.selectors import site_ids_for_key

MAX_TOKENS = 2_000
# The deepest selection the schema has (site → funnel → comparison → steps → goal).
MAX_DEPTH = 5
STATS_FIELDS = frozenset({"aggregate", "timeseries", "breakdown", "funnel", "realtime_visitors"})
PER_SITE_FIELD = "sites"

TOO_DEEP = "query_too_deep"
TOO_MANY_STATS_FIELDS = "too_many_stats_fields"


@dataclass(frozen=True)
class Shape:
    """What a selection set asks for: its depth, and its stats fields outside and under `sites`."""

    depth: int = 0
    stats_fields: int = 0
    per_site_stats_fields: int = 0

    def joined(self, other: Shape, *, nested: bool = False) -> Shape:
        return Shape(
            max(self.depth, other.depth + nested),
            self.stats_fields + other.stats_fields,
            self.per_site_stats_fields + other.per_site_stats_fields,
        )


class _Walk:
    """Shapes of one document's selection sets; each named fragment is measured once."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.measured: dict[str, Shape] = {}

    def fragment(self, name: str) -> Shape:
        if name not in self.measured:
            self.measured[name] = Shape()  # a cycle (rejected by validation anyway) adds nothing
            definition = self.fragments.get(name)
            if definition is not None:
                self.measured[name] = self.shape(definition.selection_set)
        return self.measured[name]

    def shape(self, selection_set: SelectionSetNode) -> Shape:
        total = Shape()
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                total = total.joined(self.fragment(selection.name.value))
            elif isinstance(selection, InlineFragmentNode):
                total = total.joined(self.shape(selection.selection_set))
            elif isinstance(selection, FieldNode) and not selection.name.value.startswith("__"):
                total = total.joined(self.field(selection), nested=selection.selection_set is not None)
        return total

    def field(self, node: FieldNode) -> Shape:
        inner = self.shape(node.selection_set) if node.selection_set else Shape()
        own = int(node.name.value in STATS_FIELDS)
        if node.name.value == PER_SITE_FIELD:
            return Shape(inner.depth, own, inner.stats_fields + inner.per_site_stats_fields)
        return Shape(inner.depth, own + inner.stats_fields, inner.per_site_stats_fields)


def operation_shape(document: DocumentNode, operation: OperationDefinitionNode) -> Shape:
    """Return the operation's depth (as QueryDepthLimiter counts it, introspection aside) and stats fields."""
    return _Walk(document).shape(operation.selection_set)


class _DepthRule(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        document = context.document
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                depth = operation_shape(document, definition).depth
                if depth > MAX_DEPTH:
                    context.report_error(
                        coded_error(f"The query nests {depth} levels deep; at most {MAX_DEPTH} are allowed.", TOO_DEEP)
                    )


class DepthLimit(AddValidationRules):
    """Refuse documents nested deeper than MAX_DEPTH (introspection fields aside)."""

    def __init__(self) -> None:
        super().__init__([_DepthRule])


class TokenLimit(MaxTokensLimiter):
    """Refuse documents of more than MAX_TOKENS tokens before parsing them further."""

    def __init__(self) -> None:
        super().__init__(max_token_count=MAX_TOKENS)


class StatsFieldLimit(SchemaExtension):
    """Refuse an operation that would run more than GRAPHQL_MAX_STATS_FIELDS stats fields."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if document is not None and operation is not None:
            shape = operation_shape(document, operation)
            calls = shape.stats_fields
            if shape.per_site_stats_fields:
                calls += shape.per_site_stats_fields * len(site_ids_for_key(context.context.key, owner_only=False))
            limit = settings.GRAPHQL_MAX_STATS_FIELDS
            if calls > limit:
                message = f"The query asks for {calls} stats fields; at most {limit} are allowed in one request."
                # A result set before execution is answered instead of running the operation.
                context.result = ExecutionResult(data=None, errors=[coded_error(message, TOO_MANY_STATS_FIELDS)])
        yield
