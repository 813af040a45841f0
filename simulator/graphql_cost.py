"""What a GraphQL query costs, by the contract's rules (Thinkific's "GraphQL Query Limitations").

- The query itself, every object and every plain list cost 100 points; scalars and enums 0.
- A connection costs `first` (or `last`) times the cost of one node's selection (at least 1),
  plus its `pageInfo` object. `nodes`, `edges` and an edge's `node` only lead to the node: they
  add nothing of their own, which is how Thinkific's own worked example adds up.
- The total is divided by 100 and rounded up: `{ site { courses(first: 10) { nodes { id } } } }`
  costs (100 + 100 + 10 x 1) / 100 → 3 points.

The cost is computed from the document alone, before execution, as Thinkific does: the same query
with the same page sizes always costs the same, however many records come back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)
from graphql.execution.collect_fields import collect_fields, collect_sub_fields
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.utilities import get_operation_ast

QUERY_COST = 100
OBJECT_COST = 100
NORMALISER = 100
CONNECTION_SUFFIX = "Connection"
NODE_PATHS = {"nodes": (), "edges": ("node",)}
"""How a connection's fields lead to its nodes: `nodes` directly, `edges` through `node`."""


class CostError(Exception):
    """The query cannot be costed: an operation, a variable or a page size is missing or wrong."""


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
) -> int:
    """The normalised cost (points) of a validated document's operation."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        raise CostError("Name the operation to run: the document holds several, or none.")
    coerced = get_variable_values(schema, operation.variable_definitions, dict(variables or {}))
    if isinstance(coerced, list):
        raise CostError("; ".join(error.message for error in coerced))
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    costing = _Costing(schema, fragments, coerced)
    root = schema.query_type
    fields = collect_fields(schema, fragments, coerced, root, operation.selection_set)
    raw = QUERY_COST + sum(costing.field_cost(root, nodes) for nodes in fields.values())
    return math.ceil(raw / NORMALISER)


@dataclass(frozen=True)
class _Costing:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]

    def _sub_fields(
        self, parent: GraphQLObjectType, nodes: list[FieldNode]
    ) -> dict[str, list[FieldNode]]:
        return collect_sub_fields(self.schema, self.fragments, self.variables, parent, nodes)

    def selection_cost(self, parent: GraphQLObjectType, nodes: list[FieldNode]) -> int:
        return sum(
            self.field_cost(parent, fields) for fields in self._sub_fields(parent, nodes).values()
        )

    def field_cost(self, parent: GraphQLObjectType, nodes: list[FieldNode]) -> int:
        definition = parent.fields.get(nodes[0].name.value)
        if definition is None:  # __typename
            return 0
        named = get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType):
            return 0
        if not named.name.endswith(CONNECTION_SUFFIX):
            return OBJECT_COST + self.selection_cost(named, nodes)
        size = _page_size(get_argument_values(definition, nodes[0], self.variables), nodes[0])
        per_node, others = 0, 0
        for fields in self._sub_fields(named, nodes).values():
            name = fields[0].name.value
            if name in NODE_PATHS:
                per_node += self._node_cost(named, fields, NODE_PATHS[name])
            else:
                others += self.field_cost(named, fields)
        return size * max(1, per_node) + others

    def _node_cost(
        self, parent: GraphQLObjectType, nodes: list[FieldNode], path: tuple[str, ...]
    ) -> int:
        """The selection's cost at the end of `path` (field names below `nodes`)."""
        child = get_named_type(parent.fields[nodes[0].name.value].type)
        assert isinstance(child, GraphQLObjectType)
        if not path:
            return self.selection_cost(child, nodes)
        return sum(
            self._node_cost(child, fields, path[1:])
            for fields in self._sub_fields(child, nodes).values()
            if fields[0].name.value == path[0]
        )


def _page_size(arguments: dict[str, Any], node: FieldNode) -> int:
    size = arguments.get("first", arguments.get("last"))
    name = node.name.value
    if size is None:
        raise CostError(f"You must provide a `first` or `last` value to paginate `{name}`.")
    if size < 0:
        raise CostError(f"`first` and `last` of `{name}` must not be negative.")
    return size
