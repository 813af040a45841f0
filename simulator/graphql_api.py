"""`POST /stable/graphql`: Thinkific's GraphQL API for certificates and quiz results.

In order: the bearer access token (the REST key is not accepted), the JSON body, parsing and
validation, the cost (at most `MAX_QUERY_COST` points a query), the per-minute budget, then
execution. Every costed answer carries `extensions` {cost, remaining, limit, resetAt}. An
over-budget query is answered `RATE_LIMITED`, with HTTP 200 or 429 as configured.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, execute_sync, parse, validate

from simulator.clock import SimClock
from simulator.config import SimulatorConfig
from simulator.graphql_budget import BudgetAnswer, PointsBudget
from simulator.graphql_cost import CostError, query_cost
from simulator.graphql_data import LearningGraph
from simulator.graphql_schema import SCHEMA
from simulator.responses import Response, json_response
from simulator.site import Site
from simulator.timestamps import format_ms

GRAPHQL_PATH = "/stable/graphql"
MAX_QUERY_COST = 1000
RATE_LIMIT_MESSAGE = "API rate limit exceeded"


class FieldFaults:
    """Fields made to fail, as a server-side error does: the field resolves to null and an
    INTERNAL_SERVER_ERROR at its path rides along with the rest of the data (a partial answer).
    graphql-core calls `resolve` around every field's resolver (it is execution middleware)."""

    def __init__(self) -> None:
        self._left: dict[str, int | None] = {}
        self._lock = threading.Lock()

    def add(self, field_name: str, times: int | None = None) -> None:
        """Fail `field_name` the next `times` times it is resolved (None: always)."""
        with self._lock:
            self._left[field_name] = times

    def clear(self) -> None:
        with self._lock:
            self._left.clear()

    def resolve(self, resolve: Callable[..., Any], source: Any, info: Any, **args: Any) -> Any:
        with self._lock:
            left = self._left.get(info.field_name, 0)
            if left is None or left > 0:
                if left is not None:
                    self._left[info.field_name] = left - 1
                raise GraphQLError(
                    "Internal server error", extensions={"code": "INTERNAL_SERVER_ERROR"}
                )
        return resolve(source, info, **args)


@dataclass(frozen=True)
class GraphQLAnswer:
    response: Response
    charged: int  # points charged to the budget
    refused: bool  # over the budget: RATE_LIMITED


def _errors(status: int, message: str, code: str, **more: Any) -> Response:
    return json_response(
        status, {"errors": [{"message": message, "extensions": {"code": code}}], **more}
    )


def _extensions(budget: BudgetAnswer) -> dict[str, Any]:
    return {
        "cost": budget.charged,
        "remaining": budget.remaining,
        "limit": budget.limit,
        "resetAt": format_ms(round(budget.reset_at * 1000)),
    }


class GraphQLApi:
    def __init__(self, site: Site, clock: SimClock, config: SimulatorConfig) -> None:
        self._site = site
        self._graph = LearningGraph(site)
        self._budget = PointsBudget(clock, config.graphql_points_per_minute)
        self._token = config.access_token
        self._rate_limit_status = config.graphql_rate_limit_status
        self.field_faults = FieldFaults()

    def set_points_per_minute(self, per_minute: int) -> None:
        """The budget a minute from now on (a benchmark's unmeasured setup may raise it)."""
        self._budget.set_per_minute(per_minute)

    def ground_truth(self) -> dict[str, list[dict]]:
        return self._graph.ground_truth()

    def answer(self, method: str, headers: Mapping[str, str], body: bytes) -> GraphQLAnswer:
        if method != "POST":
            return self._unbilled(_errors(405, "Use POST with a JSON body.", "METHOD_NOT_ALLOWED"))
        if not self._authenticated(headers):
            return self._unbilled(
                _errors(401, "Invalid or missing API access token.", "UNAUTHENTICATED")
            )
        try:
            request = json.loads(body)
            query, variables, operation = _request_fields(request)
        except (ValueError, TypeError) as problem:
            return self._unbilled(_errors(400, f"Bad request: {problem}", "BAD_REQUEST"))
        try:
            document = parse(query)
        except GraphQLError as error:
            return self._unbilled(_errors(200, error.message, "GRAPHQL_PARSE_FAILED"))
        invalid = validate(SCHEMA, document)
        if invalid:
            return self._unbilled(_errors(200, invalid[0].message, "GRAPHQL_VALIDATION_FAILED"))
        try:
            cost = query_cost(SCHEMA, document, variables, operation)
        except CostError as error:
            return self._unbilled(_errors(200, str(error), "BAD_USER_INPUT"))
        if cost > MAX_QUERY_COST:
            message = (
                f"Query cost of {cost} exceeds the maximum single query cost limit of "
                f"{MAX_QUERY_COST}."
            )
            return self._unbilled(_errors(200, message, "MAX_QUERY_COST_EXCEEDED"))
        budget = self._budget.charge(cost)
        if not budget.admitted:
            refusal = _errors(
                self._rate_limit_status,
                RATE_LIMIT_MESSAGE,
                "RATE_LIMITED",
                extensions=_extensions(budget),
            )
            return GraphQLAnswer(refusal, 0, refused=True)
        with self._site.lock:
            result = execute_sync(
                SCHEMA,
                document,
                root_value=self._graph.root(),
                variable_values=variables,
                operation_name=operation,
                middleware=[self.field_faults],
            )
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [_formatted(error) for error in result.errors]
        payload["extensions"] = _extensions(budget)
        return GraphQLAnswer(json_response(200, payload), budget.charged, refused=False)

    @staticmethod
    def _unbilled(response: Response) -> GraphQLAnswer:
        return GraphQLAnswer(response, 0, refused=False)

    def _authenticated(self, headers: Mapping[str, str]) -> bool:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self._token.encode()
        )


def _request_fields(request: Any) -> tuple[str, dict[str, Any] | None, str | None]:
    """`query`, `variables` and `operationName` of a GraphQL POST body."""
    if not isinstance(request, dict) or not isinstance(request.get("query"), str):
        raise ValueError("the body must be a JSON object with a `query` string")
    variables, operation = request.get("variables"), request.get("operationName")
    if variables is not None and not isinstance(variables, dict):
        raise ValueError("`variables` must be an object")
    if operation is not None and not isinstance(operation, str):
        raise ValueError("`operationName` must be a string")
    return request["query"], variables, operation


def _formatted(error: GraphQLError) -> dict[str, Any]:
    """An execution error as JSON; one without a code is the server's own failure."""
    formatted = dict(error.formatted)
    formatted["extensions"] = {"code": "INTERNAL_SERVER_ERROR", **(error.extensions or {})}
    return formatted
