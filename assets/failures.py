"""Every known way a step can fail, as a Dagster `Failure` that names its cause and its fix.

A step that meets a recognised failure (credentials, plan, an outage, the warehouse's disk...)
ends with a `Failure` whose description is the whole explanation and whose metadata carries a
stable `cause`: the UI shows the explanation without a traceback to dig through, the main
command prints each cause once however many steps met it, and step retries apply only where a
retry can help (an outage). Anything not recognised propagates as it is: that is a bug, and its
traceback is what a bug report needs.
"""

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from dagster import Failure

from resources.thinkific.graphql_errors import ThinkificPartialAnswerError
from resources.thinkific.resource import (
    ThinkificAuthenticationError,
    ThinkificBadRequestError,
    ThinkificError,
    ThinkificForbiddenError,
    ThinkificRedirectError,
    ThinkificUnavailableError,
    ThinkificValidationError,
)
from resources.warehouse.engine import WarehouseError
from resources.warehouse.errors import warehouse_problem
from resources.warehouse.site_identity import WarehouseSiteMismatch
from schemas.tables import RecordValidationError

P = ParamSpec("P")
R = TypeVar("R")

CAUSE = "cause"
"""The metadata key of a failure's cause, like `thinkific_credentials` or `warehouse_disk_full`."""


@dataclass(frozen=True)
class KnownCause:
    name: str
    retry_helps: bool


_THINKIFIC_CAUSES: list[tuple[type[ThinkificError], KnownCause]] = [
    # The first class that matches wins, so subclasses come before their bases.
    (ThinkificAuthenticationError, KnownCause("thinkific_credentials", retry_helps=False)),
    (ThinkificForbiddenError, KnownCause("thinkific_forbidden", retry_helps=False)),
    (ThinkificRedirectError, KnownCause("thinkific_base_url", retry_helps=False)),
    (ThinkificUnavailableError, KnownCause("thinkific_unavailable", retry_helps=True)),
    (ThinkificPartialAnswerError, KnownCause("thinkific_partial_answer", retry_helps=False)),
    (ThinkificValidationError, KnownCause("thinkific_rejected", retry_helps=False)),
    (ThinkificBadRequestError, KnownCause("thinkific_rejected", retry_helps=False)),
    (ThinkificError, KnownCause("thinkific_error", retry_helps=False)),
]


def thinkific_cause(error: ThinkificError) -> KnownCause:
    """The cause of a client error; GraphQL's refused token is a cause of its own (another
    credential, another fix)."""
    cause = next(cause for kind, cause in _THINKIFIC_CAUSES if isinstance(error, kind))
    if cause.name == "thinkific_credentials" and error.endpoint.startswith("GraphQL"):
        return KnownCause("thinkific_graphql_token", retry_helps=False)
    return cause


@contextmanager
def known_failures() -> Iterator[None]:
    """Turn a recognised failure inside the block into a `Failure` carrying its cause."""
    try:
        yield
    except Failure:
        raise
    except ThinkificError as error:
        cause = thinkific_cause(error)
        raise _failure(str(error), cause.name, cause.retry_helps) from error
    except RecordValidationError as error:
        raise _failure(
            f"Thinkific sent records that do not fit their table: {error}. Nothing of this "
            "stream was loaded; report the values above (they are not secrets).",
            "unexpected_record",
            retry_helps=False,
        ) from error
    except WarehouseSiteMismatch as error:
        raise _failure(f"Warehouse: {error}", "warehouse_site", retry_helps=False) from None
    except (sa.exc.DBAPIError, WarehouseError) as error:
        problem = warehouse_problem(error)
        if problem is None:
            raise
        # `from None`: a driver's message may carry connection details; the explanation is whole.
        raise _failure(f"Warehouse: {problem.explanation}.", problem.cause, False) from None


def _failure(description: str, cause: str, retry_helps: bool) -> Failure:
    return Failure(description=description, metadata={CAUSE: cause}, allow_retries=retry_helps)


def with_known_failures(compute: Callable[P, R]) -> Callable[P, R]:
    """`compute` (an asset's or check's function) run inside `known_failures`.

    `functools.wraps` keeps the signature Dagster reads its context, config and resources from;
    a generator function stays one, since Dagster treats the two kinds differently.
    """
    if inspect.isgeneratorfunction(compute):

        @functools.wraps(compute)
        def generator(*args: P.args, **kwargs: P.kwargs) -> Any:
            with known_failures():
                yield from compute(*args, **kwargs)

        return generator  # type: ignore[return-value]

    @functools.wraps(compute)
    def function(*args: P.args, **kwargs: P.kwargs) -> R:
        with known_failures():
            return compute(*args, **kwargs)

    return function
