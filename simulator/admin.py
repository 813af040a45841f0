"""The `/_simulator` routes: the Python API of a running simulator, over HTTP, for other processes.

No authentication and no rate limit; the server answers them on loopback connections only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simulator.errors import ApiError
from simulator.faults import Fault
from simulator.learner_activity import progress
from simulator.responses import Response, empty_response, json_response

if TYPE_CHECKING:
    from simulator.server import SimulatorServer

ADMIN_BASE = "/_simulator"

Handler = Callable[..., Response]


class AdminApi:
    def __init__(self, simulator: SimulatorServer) -> None:
        self._sim = simulator
        self._routes: dict[tuple[str, int, str], Handler] = {
            ("GET", 1, "ground_truth"): lambda body: json_response(200, self._sim.ground_truth()),
            ("GET", 1, "stats"): lambda body: json_response(200, self._sim.stats.snapshot()),
            ("POST", 2, "stats"): self._reset_stats,
            ("GET", 1, "clock"): lambda body: self._now(),
            ("POST", 1, "clock"): self._advance_clock,
            ("GET", 1, "faults"): lambda body: json_response(
                200, [fault.as_dict() for fault in self._sim.faults.active()]
            ),
            ("POST", 1, "faults"): self._add_fault,
            ("DELETE", 1, "faults"): self._clear_faults,
            ("POST", 2, "records"): self._create_record,
            ("PATCH", 3, "records"): self._update_record,
            ("DELETE", 3, "records"): self._delete_record,
            ("POST", 1, "memberships"): self._add_membership,
            ("DELETE", 1, "memberships"): self._remove_membership,
            ("POST", 1, "progress"): self._progress,
            ("POST", 1, "graphql_budget"): self._set_graphql_budget,
        }

    def handle(self, method: str, segments: tuple[str, ...], body: Any) -> Response:
        """Answer one admin request; `segments` is the path after `/_simulator`."""
        handler = self._routes.get((method, len(segments), segments[0] if segments else ""))
        if handler is None:
            return json_response(404, {"error": "Not Found"})
        try:
            return handler(body or {}, *segments[1:])
        except ApiError as error:
            return json_response(error.status, error.body)
        except (TypeError, ValueError, KeyError) as error:
            return json_response(400, {"error": str(error)})

    def _reset_stats(self, body: Any, action: str) -> Response:
        if action != "reset":
            return json_response(404, {"error": "Not Found"})
        self._sim.stats.reset()
        return empty_response(204)

    def _now(self) -> Response:
        return json_response(200, {"now": self._sim.clock.now().isoformat()})

    def _advance_clock(self, body: dict[str, Any]) -> Response:
        self._sim.clock.advance(float(body["advance_seconds"]))
        return self._now()

    def _add_fault(self, body: dict[str, Any]) -> Response:
        return json_response(201, self._sim.faults.add(Fault(**body)).as_dict())

    def _clear_faults(self, body: Any) -> Response:
        self._sim.faults.clear()
        return empty_response(204)

    def _create_record(self, body: dict[str, Any], resource: str) -> Response:
        return json_response(201, self._sim.site.create(resource, body))

    def _update_record(self, body: dict[str, Any], resource: str, record_id: str) -> Response:
        return json_response(200, self._sim.site.update(resource, record_id, body))

    def _delete_record(self, body: Any, resource: str, record_id: str) -> Response:
        self._sim.site.delete(resource, record_id)
        return empty_response(204)

    def _add_membership(self, body: dict[str, Any]) -> Response:
        self._sim.site.add_group_member(body["group_id"], body["user_id"])
        return empty_response(204)

    def _remove_membership(self, body: dict[str, Any]) -> Response:
        self._sim.site.remove_group_member(body["group_id"], body["user_id"])
        return empty_response(204)

    def _progress(self, body: dict[str, Any]) -> Response:
        """A simulated day in which `share` of the users progressed (`learner_activity.progress`,
        drawn from `seed`): the users who did."""
        users = progress(self._sim.site, float(body["share"]), int(body.get("seed", 1)))
        return json_response(200, {"users": users})

    def _set_graphql_budget(self, body: dict[str, Any]) -> Response:
        """Change the GraphQL points a minute from now on (what was charged stays charged)."""
        self._sim.graphql.set_points_per_minute(int(body["points_per_minute"]))
        return json_response(200, {"points_per_minute": int(body["points_per_minute"])})
