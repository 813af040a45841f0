"""The REST Admin API v1 routes: envelopes, pagination, status codes and error bodies.

Only what a real client may send reaches the site: each write takes the request fields the
contract documents and ignores the rest, as Thinkific does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.errors import ApiError, bad_request
from simulator.responses import Response, empty_response, json_response
from simulator.site import DRIFT_RESOURCES, Site

API_BASE = "/api/public/v1"
DEFAULT_LIMIT = 25
MAX_LIMIT = 250

LIST_RESOURCES = (
    "users",
    "groups",
    "products",
    "courses",
    "enrollments",
    "orders",
    "custom_profile_field_definitions",
)
GET_RESOURCES = ("users", "products", "courses", "bundles", "enrollments")
USER_REQUEST_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "password",
    "roles",
    "bio",
    "company",
    "headline",
    "affiliate_code",
    "affiliate_commission",
    "affiliate_commission_type",
    "affiliate_payout_email",
    "external_source",
    "custom_profile_fields",
    "send_welcome_email",
)
ENROLLMENT_WRITE_FIELDS = ("activated_at", "expiry_date")
GROUP_NOT_FOUND = ApiError(404, {"error": ["Record not found."]})
"""`GET /groups/{id}` answers 404 with an array, unlike every other resource."""


@dataclass(frozen=True)
class ApiRequest:
    method: str
    segments: tuple[str, ...]  # the path after the API base, split on "/"
    params: Mapping[str, str]  # query parameters, first value of each
    body: Any  # the parsed JSON body, None when there is none

    def page(self) -> int:
        return _positive_int(self.params.get("page"), 1)

    def object_body(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise bad_request("The request body must be a JSON object.")
        return self.body


def _positive_int(text: str | None, default: int) -> int:
    try:
        value = int(text) if text is not None else default
    except ValueError:
        return default
    return value if value >= 1 else default


def _picked(body: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: body[name] for name in names if name in body}


Handler = Callable[..., Response]


class RestApi:
    """Routes requests under the API base to the site and renders the answers."""

    def __init__(self, site: Site) -> None:
        self._site = site
        self._routes: list[tuple[str, tuple[str, ...], Handler]] = [
            *[("GET", (name,), self._lister(name)) for name in LIST_RESOURCES],
            *[("GET", (name, "{id}"), self._getter(name)) for name in GET_RESOURCES],
            ("POST", ("users",), self._create_user),
            ("PUT", ("users", "{id}"), self._update_user),
            ("GET", ("groups", "{id}"), self._get_group),
            ("POST", ("groups",), self._create_group),
            ("DELETE", ("groups", "{id}"), self._delete_group),
            ("GET", ("groups", "{id}", "analysts"), self._list_analysts),
            ("POST", ("groups", "{id}", "analysts"), self._assign_analysts),
            ("POST", ("group_users",), self._add_group_users),
            ("GET", ("bundles", "{id}", "courses"), self._list_bundle_courses),
            ("POST", ("bundles", "{id}", "enrollments"), self._enroll_in_bundle),
            ("POST", ("enrollments",), self._create_enrollment),
            ("PUT", ("enrollments", "{id}"), self._update_enrollment),
        ]

    def handle(self, request: ApiRequest) -> Response:
        for method, pattern, handler in self._routes:
            if method == request.method and len(pattern) == len(request.segments):
                ids = [s for p, s in zip(pattern, request.segments, strict=True) if p == "{id}"]
                if all(p in ("{id}", s) for p, s in zip(pattern, request.segments, strict=True)):
                    try:
                        return handler(request, *ids)
                    except ApiError as error:
                        return json_response(error.status, error.body)
        return json_response(404, {"error": "Not Found"})

    @staticmethod
    def drift_target(request: ApiRequest) -> str | None:
        """The resource whose list this request pages through past page 1, if any."""
        segments = request.segments
        if request.method == "GET" and len(segments) == 1 and segments[0] in DRIFT_RESOURCES:
            return segments[0] if request.page() > 1 else None
        return None

    # Lists and single records

    def _page(self, resource: str, request: ApiRequest, rows_of: Callable[[], Any]) -> Response:
        """One page of a list in Thinkific's envelope; a page past the end is empty."""
        page = request.page()
        limit = min(_positive_int(request.params.get("limit"), DEFAULT_LIMIT), MAX_LIMIT)
        with self._site.lock:
            rows = rows_of()
            start = (page - 1) * limit
            chunk = rows[start : start + limit]
            items = self._site.render(resource, chunk)
        total = len(rows)
        total_pages = math.ceil(total / limit)
        shown = f"{start + 1}-{start + len(chunk)}" if len(chunk) else "0-0"
        pagination = {
            "current_page": page,
            "next_page": page + 1 if page < total_pages else None,
            "prev_page": page - 1 if page > 1 else None,
            "total_pages": total_pages,
            "total_items": total,
            "entries_info": f"{shown} of {total}",
        }
        return json_response(200, {"items": items, "meta": {"pagination": pagination}})

    def _lister(self, resource: str) -> Handler:
        def list_resource(request: ApiRequest) -> Response:
            return self._page(
                resource, request, lambda: self._site.list_rows(resource, request.params)
            )

        return list_resource

    def _getter(self, resource: str) -> Handler:
        def get_resource(request: ApiRequest, record_id: str) -> Response:
            return json_response(200, self._site.get(resource, record_id))

        return get_resource

    def _get_group(self, request: ApiRequest, group_id: str) -> Response:
        try:
            return json_response(200, self._site.get("groups", group_id))
        except ApiError:
            raise GROUP_NOT_FOUND from None

    def _list_analysts(self, request: ApiRequest, group_id: str) -> Response:
        return json_response(200, {"group_analysts": self._site.analyst_ids(group_id)})

    def _list_bundle_courses(self, request: ApiRequest, bundle_id: str) -> Response:
        return self._page("courses", request, lambda: self._site.bundle_course_rows(bundle_id))

    # Writes

    def _create_user(self, request: ApiRequest) -> Response:
        fields = _picked(request.object_body(), USER_REQUEST_FIELDS)
        return json_response(201, self._site.create("users", fields))

    def _update_user(self, request: ApiRequest, user_id: str) -> Response:
        fields = _picked(request.object_body(), USER_REQUEST_FIELDS)
        fields.pop("password", None)
        fields.pop("send_welcome_email", None)
        self._site.update("users", user_id, fields)
        return empty_response(204)

    def _create_group(self, request: ApiRequest) -> Response:
        fields = _picked(request.object_body(), ("name",))
        return json_response(200, self._site.create("groups", fields))

    def _delete_group(self, request: ApiRequest, group_id: str) -> Response:
        try:
            self._site.delete("groups", group_id)
        except ApiError:
            raise GROUP_NOT_FOUND from None
        return empty_response(204)

    def _assign_analysts(self, request: ApiRequest, group_id: str) -> Response:
        self._site.assign_analysts(group_id, request.object_body().get("user_ids"))
        return empty_response(201)

    def _add_group_users(self, request: ApiRequest) -> Response:
        body = request.object_body()
        self._site.add_to_groups_by_name(body.get("user_id"), body.get("group_names"))
        return empty_response(201)

    def _enroll_in_bundle(self, request: ApiRequest, bundle_id: str) -> Response:
        fields = _picked(request.object_body(), ("user_id", *ENROLLMENT_WRITE_FIELDS))
        self._site.enroll_in_bundle(bundle_id, fields)
        return empty_response(201)

    def _create_enrollment(self, request: ApiRequest) -> Response:
        fields = _picked(request.object_body(), ("course_id", "user_id", *ENROLLMENT_WRITE_FIELDS))
        return json_response(201, self._site.create("enrollments", fields))

    def _update_enrollment(self, request: ApiRequest, enrollment_id: str) -> Response:
        fields = _picked(request.object_body(), ENROLLMENT_WRITE_FIELDS)
        self._site.update("enrollments", enrollment_id, fields)
        return empty_response(204)
