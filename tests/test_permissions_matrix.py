"""Who may open which URL: every route of the URLconf and every operation of the API schema,
for five kinds of visitor (anonymous, a host holding a request's private link, a fellow, staff,
an admin), checked against the designed rules.

docs/permissions.md is the same matrix as a table. Routes are enumerated from the URL resolver
and API operations from the OpenAPI schema, so a new URL or endpoint without an entry here
fails test_every_url_has_a_matrix_entry: nothing ships without a decision about who may use it.

"Allowed" means the view did its work or judged the input (2xx, 3xx other than to a login page,
or 400 for the empty form we post). A denial is exactly one answer per visitor and URL
(docs/permissions.md): the API answers 401 with `WWW-Authenticate: Token` without credentials and
403 to a signed-in user; a page sends a visitor without an account to its sign-in page and
answers 403 to an account without the right; a wrong token, or an account without a fellow on
the fellow's own pages, gets a 404 that looks like a page that does not exist.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.generators import SchemaGenerator

from events import intake, services
from events.models import PlanningRun
from fellows.services import rotate_feed_token, rotate_staff_feed_token, rotate_tour_feed_token
from impact import services as survey_services
from impact.models import PublicListing
from tests.conftest import registered_models
from tests.events.conftest import request_data
from tests.factories import (
    FellowFactory,
    TourFactory,
    TourMemberFactory,
    UnavailabilityFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "host", "fellow", "staff", "admin")
PUBLIC = frozenset(ROLES)
SIGNED_IN = frozenset({"fellow", "staff", "admin"})
STAFF = frozenset({"staff", "admin"})
ADMIN = frozenset({"admin"})
HOST = frozenset({"host"})
FELLOW = frozenset({"fellow"})


@dataclass(frozen=True)
class Rule:
    """Who may use one URL, and how the test calls it."""

    allowed: frozenset[str]
    method: str = "get"
    # Names of world attributes passed as URL arguments, in order.
    args: tuple[str, ...] = ()
    query: dict[str, str] = field(default_factory=dict)
    # Token-addressed and own-fellow pages deny with a 404, like a page that does not exist.
    denies_with_404: bool = False
    # The view answers 404 for an allowed visitor too (the admin's catch-all, view-on-site for
    # models without a public page); only the denial is checked.
    allowed_may_404: bool = False
    # Signed-in visitors who are not staff go to the sign-in page instead of a 403 (Django's
    # staff_member_required; the whole admin does the same).
    non_staff_to_login: bool = False


def _token_rule(allowed: frozenset[str], token: str, method: str = "get") -> Rule:
    return Rule(allowed, method=method, args=(token,), denies_with_404=True)


# Pages (everything outside /api/v1/ except the router's root). Keys are URL names.
WEB_MATRIX: dict[str, Rule] = {
    "home": Rule(PUBLIC),
    "healthz": Rule(PUBLIC),
    "ping": Rule(PUBLIC),
    "favicon": Rule(PUBLIC),
    "api-schema": Rule(PUBLIC),
    "api-docs": Rule(PUBLIC),
    "api-root": Rule(STAFF),
    "events:request-speaker": Rule(PUBLIC),
    "events:request-received": Rule(PUBLIC),
    "events:host-request": _token_rule(HOST, "host_token"),
    "events:host-withdraw": _token_rule(HOST, "host_token"),
    "events:host-attendance": _token_rule(HOST, "host_token", method="post"),
    "events:host-answer-proposal": _token_rule(HOST, "host_token", method="post"),
    "fellows:fellow-feed": _token_rule(FELLOW, "fellow_feed_token"),
    "fellows:token-day-sheets": _token_rule(FELLOW, "fellow_feed_token"),
    # Staff make the tour feed and hand it to the tour's team; here staff and admin hold it.
    "fellows:tour-feed": _token_rule(STAFF, "tour_feed_token"),
    "fellows:staff-feed": _token_rule(STAFF, "staff_feed_token"),
    "fellows:login": Rule(PUBLIC),
    "fellows:logout": Rule(PUBLIC, method="post"),
    "fellows:me": Rule(FELLOW, denies_with_404=True),
    "fellows:my-day-sheets": Rule(FELLOW, denies_with_404=True),
    "fellows:my-language": Rule(FELLOW, method="post", denies_with_404=True),
    "fellows:my-feed-rotate": Rule(FELLOW, method="post", denies_with_404=True),
    "fellows:staff-feed-page": Rule(STAFF, non_staff_to_login=True),
    "board:home": Rule(STAFF),
    "board:login": Rule(PUBLIC),
    "board:logout": Rule(PUBLIC, method="post"),
    "board:tour-create": Rule(STAFF),
    "board:tour": Rule(STAFF, args=("tour_id",)),
    "board:tour-propose": Rule(STAFF, method="post", args=("tour_id",)),
    "board:tour-confirm": Rule(STAFF, method="post", args=("tour_id",)),
    "board:run-progress": Rule(STAFF, args=("run_id",)),
    "board:run-accept": Rule(STAFF, method="post", args=("run_id",)),
    "board:event": Rule(STAFF, args=("event_id",)),
    "board:event-reschedule": Rule(STAFF, method="post", args=("event_id",)),
    "board:event-cancel": Rule(STAFF, method="post", args=("event_id",)),
    "board:event-lock": Rule(STAFF, method="post", args=("event_id",)),
    "board:requests": Rule(STAFF),
    "board:requests-bulk": Rule(STAFF, method="post"),
    "board:request": Rule(STAFF, args=("request_id",)),
    "board:request-status": Rule(STAFF, method="post", args=("request_id",)),
    "board:request-decline": Rule(STAFF, method="post", args=("request_id",)),
    "board:request-book": Rule(STAFF, method="post", args=("request_id",)),
    "board:tour-edit": Rule(STAFF, args=("tour_id",)),
    "board:fellows": Rule(STAFF),
    "board:fellow-create": Rule(STAFF),
    "board:fellow": Rule(STAFF, args=("fellow_id",)),
    "board:fellow-unavailability": Rule(STAFF, method="post", args=("fellow_id",)),
    "board:fellow-unavailability-remove": Rule(
        STAFF, method="post", args=("fellow_id", "unavailability_id")
    ),
    "board:outbox": Rule(STAFF),
    "board:outbox-retry": Rule(STAFF, method="post", args=("notification_id",)),
    "board:impact": Rule(STAFF),
    # The attendee survey: anyone holding the link (printed on a slide) may answer.
    "impact:survey": _token_rule(PUBLIC, "survey_token"),
    "impact:survey-thanks": _token_rule(PUBLIC, "survey_token"),
    "impact:survey-slide": _token_rule(PUBLIC, "survey_token"),
    "impact:public-events": Rule(PUBLIC),
    "impact:public-events-ics": Rule(PUBLIC),
    "impact:public-events-json": Rule(PUBLIC),
    "impact:season": Rule(STAFF),
    "impact:tour": Rule(STAFF, args=("tour_id",)),
    "impact:event": Rule(STAFF, args=("event_id",)),
    "impact:event-publish": Rule(STAFF, method="post", args=("event_id",)),
    "impact:event-unpublish": Rule(STAFF, method="post", args=("event_id",)),
    "impact:contacts-csv": Rule(STAFF),
    "impact:figures-csv": Rule(STAFF),
    "board:export": Rule(STAFF, args=("export_kind",), query={"tour": "1"}),
    "admin:login": Rule(PUBLIC),
    "admin:logout": Rule(PUBLIC, method="post"),
    "admin:index": Rule(STAFF),
    "admin:password_change": Rule(STAFF),
    "admin:password_change_done": Rule(STAFF),
    "admin:jsi18n": Rule(STAFF),
    # Lists and lookups of models: Django's model permissions decide; our staff role has none.
    "admin:app_list": Rule(ADMIN, args=("app_label",), denies_with_404=True),
    "admin:autocomplete": Rule(
        ADMIN,
        query={"app_label": "events", "model_name": "speakerrequest", "field_name": "organization"},
    ),
    "admin:view_on_site": Rule(
        STAFF, args=("user_content_type_id", "admin_user_id"), allowed_may_404=True
    ),
    "admin:<catch-all>": Rule(STAFF, allowed_may_404=True),
}

# Every other admin URL belongs to one registered model (its list, add, change, delete and
# history pages and a ModelAdmin's own extra views): Django's model permissions decide, so
# staff without permissions are refused, admins are not, everyone else goes to the login page.
MODEL_ADMIN_ROLES = ADMIN
# Rows only the system writes (logs, the outbox, proposals, hashed feed tokens): nobody, not
# even an admin, adds them by hand in the admin.
ADD_REFUSED_TO_EVERYONE = {
    "admin:axes_accessattempt_add",
    "admin:axes_accessfailurelog_add",
    "admin:axes_accesslog_add",
    "admin:events_planningrun_add",
    "admin:fellows_stafffeedtoken_add",
    "admin:notifications_notification_add",
}

# API operations as the schema lists them: only submitting a request is public.
PUBLIC_API = {"POST /api/v1/requests/"}
API_MATRIX: dict[str, frozenset[str]] = {
    operation: (PUBLIC if operation in PUBLIC_API else STAFF)
    for operation in [
        "GET /api/v1/events/",
        "POST /api/v1/events/",
        "GET /api/v1/events/{id}/",
        "GET /api/v1/exports/events/",
        "GET /api/v1/exports/impact/",
        "GET /api/v1/exports/requests/",
        "POST /api/v1/events/{id}/cancel/",
        "POST /api/v1/events/{id}/confirm/",
        "POST /api/v1/events/{id}/reschedule/",
        "GET /api/v1/fellows/",
        "GET /api/v1/fellows/{id}/",
        "POST /api/v1/fellows/{id}/rotate-feed/",
        "GET /api/v1/notifications/",
        "GET /api/v1/notifications/{id}/",
        "POST /api/v1/notifications/{id}/retry/",
        "GET /api/v1/organizations/",
        "POST /api/v1/organizations/",
        "GET /api/v1/organizations/{id}/",
        "PUT /api/v1/organizations/{id}/",
        "PATCH /api/v1/organizations/{id}/",
        "DELETE /api/v1/organizations/{id}/",
        "GET /api/v1/proposals/",
        "POST /api/v1/proposals/",
        "GET /api/v1/proposals/{id}/",
        "POST /api/v1/proposals/{id}/accept/",
        "GET /api/v1/requests/",
        "POST /api/v1/requests/",
        "GET /api/v1/requests/{id}/",
        "POST /api/v1/requests/{id}/decline/",
        "POST /api/v1/requests/{id}/reissue-link/",
        "POST /api/v1/requests/{id}/status/",
        "GET /api/v1/tours/",
        "POST /api/v1/tours/",
        "GET /api/v1/tours/{id}/",
        "PUT /api/v1/tours/{id}/",
        "PATCH /api/v1/tours/{id}/",
        "DELETE /api/v1/tours/{id}/",
        "POST /api/v1/tours/{id}/rotate-feed/",
        "GET /api/v1/public-listings/",
        "POST /api/v1/public-listings/",
        "GET /api/v1/public-listings/{id}/",
        "DELETE /api/v1/public-listings/{id}/",
    ]
}


# -- enumerating what exists -------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    arg_count: int


def _walk(patterns, prefix: str = "", namespace: str = "") -> list[Route]:
    routes = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace or "") if part)
            routes += _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or "<catch-all>"
            full = f"{namespace}:{name}" if namespace else name
            arg_count = pattern.pattern.regex.groups
            routes.append(Route(full, prefix + str(pattern.pattern), arg_count))
    return routes


def all_routes() -> list[Route]:
    return _walk(get_resolver().url_patterns)


def _model_admin_prefixes() -> set[str]:
    return {f"{model._meta.app_label}_{model._meta.model_name}_" for model in registered_models()}


def model_admin_names() -> list[str]:
    prefixes = _model_admin_prefixes()
    names = {
        route.name
        for route in all_routes()
        if route.name.startswith("admin:")
        and any(route.name.removeprefix("admin:").startswith(p) for p in prefixes)
    }
    return sorted(names)


def api_operations() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }


def _api_route_as_schema_path(route: str) -> str:
    # "api/v1/^requests/(?P<pk>[^/.]+)/decline/$" -> "/api/v1/requests/{id}/decline/"
    path = re.sub(r"\(\?P<pk>[^)]+\)", "{id}", route).replace("^", "").replace("$", "")
    return "/" + path


def test_every_url_has_a_matrix_entry():
    """A new route fails here until WEB_MATRIX or API_MATRIX (and docs/permissions.md) say who
    may use it."""
    model_pages = set(model_admin_names())
    schema_paths = {operation.split(" ", 1)[1] for operation in api_operations()}
    missing = []
    for route in all_routes():
        if route.name in WEB_MATRIX or route.name in model_pages:
            continue
        if route.route.startswith("api/v1/^"):
            if "(?P<format>" in route.route:
                continue  # ".json" twin of a route below: the same view, the same rule
            if _api_route_as_schema_path(route.route) in schema_paths:
                continue
        missing.append(f"{route.name} ({route.route})")
    assert not missing, f"URLs without a permissions matrix entry: {missing}"


def test_every_api_operation_has_a_matrix_entry():
    assert api_operations() == set(API_MATRIX)


def test_matrix_names_still_exist():
    """Entries for URLs that were removed would hide a stale table."""
    names = {route.name for route in all_routes()}
    assert set(WEB_MATRIX) - names == set()


# -- the visitors ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # Request submissions and feeds count per address in the shared cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[SimpleNamespace]:
    """One of everything a URL can address, and each visitor's credentials: built once for the
    module's ~400 cells inside a transaction rolled back after the last one. Each test runs in
    a savepoint within it (pytest-django's `db`), so what one cell writes, the next never sees.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def build_world() -> SimpleNamespace:
    tour = TourFactory()
    # Unusable passwords: hashing three real ones would dominate the run time of ~400 tests.
    fellow_user = UserFactory(username="fellow-grace", password=None)
    fellow = FellowFactory(display_name="Grace", user=fellow_user)
    TourMemberFactory(tour=tour, fellow=fellow)
    staff_user = UserFactory(username="staff-coordinator", is_staff=True, password=None)
    admin_user = UserFactory(username="admin-root", is_staff=True, is_superuser=True, password=None)
    submission = intake.submit_speaker_request(data=request_data(), source="web")
    speaker_request = submission.speaker_request
    starts = dt.datetime.combine(
        tour.start_date + dt.timedelta(days=1), dt.time(13), tzinfo=ZoneInfo(tour.timezone)
    )
    event = services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        title="Talk at the matrix church",
        timezone=tour.timezone,
    )
    run = PlanningRun.objects.create(tour=tour, seconds=1, seed=0)
    TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    # The API addresses the objects above by their resource name.
    ids = {
        "organizations": speaker_request.organization_id,
        "requests": speaker_request.pk,
        "events": event.pk,
        "fellows": fellow.pk,
        "tours": tour.pk,
        "notifications": speaker_request.notifications.first().pk,
        "proposals": run.pk,
        # Listings are addressed by their event's id.
        "public-listings": PublicListing.objects.create(event=event).event_id,
    }
    staff_feed_token = rotate_staff_feed_token(user=staff_user)
    admin_feed_token = rotate_staff_feed_token(user=admin_user)
    tour_feed_token = rotate_tour_feed_token(tour=tour)
    users = {"fellow": fellow_user, "staff": staff_user, "admin": admin_user}
    # Each signed-in visitor's session, made once: a cell's sign-out or session change is
    # rolled back with the cell's savepoint, and ~360 logins would cost more than the cells.
    sessions = {}
    for role, user in users.items():
        login = Client()
        login.force_login(user)
        sessions[role] = login.cookies[settings.SESSION_COOKIE_NAME].value
    # Tokens each visitor holds; a visitor without one of a kind uses a well-formed wrong one.
    tokens = {
        "host": {"host_token": submission.host_url.rstrip("/").rsplit("/", 1)[1]},
        "fellow": {"fellow_feed_token": rotate_feed_token(fellow=fellow)},
        "staff": {"staff_feed_token": staff_feed_token, "tour_feed_token": tour_feed_token},
        "admin": {"staff_feed_token": admin_feed_token, "tour_feed_token": tour_feed_token},
    }
    # The survey link is public (projected in the room): every visitor holds it.
    survey_token = survey_services.survey_token(event=event)
    for role in ROLES:
        tokens.setdefault(role, {})["survey_token"] = survey_token
    return SimpleNamespace(
        users=users,
        sessions=sessions,
        tokens=tokens,
        api_ids=ids,
        tour_id=tour.pk,
        run_id=run.pk,
        request_id=speaker_request.pk,
        fellow_id=fellow.pk,
        unavailability_id=UnavailabilityFactory(
            fellow=fellow,
            starts_at=starts + dt.timedelta(days=3),
            ends_at=starts + dt.timedelta(days=4),
        ).pk,
        event_id=event.pk,
        notification_id=ids["notifications"],
        app_label="events",
        export_kind="events",
        user_content_type_id=ContentType.objects.get_for_model(admin_user).pk,
        admin_user_id=admin_user.pk,
    )


WRONG_TOKEN = "x" * 43


def client_for(role: str, world: SimpleNamespace) -> Client:
    client = Client()
    if role in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


def url_args(rule: Rule, role: str, world: SimpleNamespace) -> list:
    values = []
    for name in rule.args:
        if name.endswith("_token"):
            values.append(world.tokens.get(role, {}).get(name, WRONG_TOKEN))
        else:
            values.append(getattr(world, name))
    return values


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "login" in response.get("Location", "")


def answer(response) -> str:
    """The response as a denial is named here: "login" for a redirect to a sign-in page, else
    its status code."""
    return "login" if is_login_redirect(response) else str(response.status_code)


DENIALS = {"401", "403", "404", "login"}


def page_denial(name: str, rule: Rule, role: str) -> str:
    """How the page refuses `role` (docs/permissions.md)."""
    if name == "api-root":
        return api_denial(role)  # the API's own page answers as the API does
    if any(arg.endswith("_token") for arg in rule.args):
        return "404"  # a wrong token: a page that does not exist, whoever asks
    if role not in SIGNED_IN:
        return "login"
    if role not in STAFF and (rule.non_staff_to_login or name.startswith("admin:")):
        return "login"
    return "404" if rule.denies_with_404 else "403"


def api_denial(role: str) -> str:
    return "403" if role in SIGNED_IN else "401"


def check(response, *, allowed: bool, denied_with: str, allowed_may_404: bool) -> str:
    """An explanation when the response breaks the rule, else ''."""
    status = response.status_code
    if status >= 500 or status == 405:
        return f"answered {status}"
    if allowed:
        if allowed_may_404 and status == 404:
            return ""
        if answer(response) in DENIALS:
            return f"refused with {status} {response.get('Location', '')}"
        return ""
    if answer(response) != denied_with:
        return f"was answered {status} {response.get('Location', '')}, not {denied_with}"
    if status == 401 and response.get("WWW-Authenticate") != "Token":
        return "answered 401 without the challenge `WWW-Authenticate: Token`"
    return ""


# -- pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(WEB_MATRIX))
def test_page_access_follows_the_matrix(name, role, world):
    rule = WEB_MATRIX[name]
    if name == "admin:<catch-all>":
        path = "/admin/no-such-page/"
    else:
        path = reverse(name, args=url_args(rule, role, world))
    client = client_for(role, world)
    response = getattr(client, rule.method)(path, rule.query)
    problem = check(
        response,
        allowed=role in rule.allowed,
        denied_with=page_denial(name, rule, role),
        allowed_may_404=rule.allowed_may_404,
    )
    assert not problem, f"{role} {rule.method.upper()} {path} {problem}"


@pytest.mark.parametrize("role", ROLES)
def test_model_admin_pages_follow_model_permissions(role, world):
    """Every page of every registered ModelAdmin, including their extra views."""
    client = client_for(role, world)
    objects = {
        f"{model._meta.app_label}_{model._meta.model_name}_": model._default_manager.first()
        for model in registered_models()
    }
    problems = []
    routes = all_routes()
    for name in model_admin_names():
        prefix = next(p for p in objects if name.removeprefix("admin:").startswith(p))
        obj = objects[prefix]
        arg_count = next(r.arg_count for r in routes if r.name == name)
        args = [obj.pk if obj else 0] * arg_count
        if name.endswith("_simple_history") and obj is not None:
            # django-simple-history's page for one past version: object id, then version id.
            args = [obj.pk, obj.history.first().history_id]
        path = reverse(name, args=args)
        response = client.get(path)
        if obj is None and response.get("Location") == reverse("admin:index"):
            # Django's answer for a missing object (before it checks permissions): back to the
            # index with "does not exist", nothing shown. Any role past the login gets it.
            problem = "" if role in STAFF else "reached the admin"
        else:
            problem = check(
                response,
                allowed=role in MODEL_ADMIN_ROLES and name not in ADD_REFUSED_TO_EVERYONE,
                denied_with=page_denial(name, Rule(MODEL_ADMIN_ROLES), role),
                allowed_may_404=obj is None,
            )
        if problem:
            problems.append(f"{path} {problem}")
    assert not problems, f"{role}: {problems}"


# -- API ---------------------------------------------------------------------------------------


def api_path(template: str, world: SimpleNamespace) -> str:
    """The operation's path for the world's objects; exports are asked for the world's tour."""
    resource = template.split("/")[3]
    if resource == "exports":
        return f"{template}?tour={world.tour_id}"
    return template.replace("{id}", str(world.api_ids[resource]))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", sorted(API_MATRIX))
def test_api_access_follows_the_matrix(operation, role, world):
    method, template = operation.split(" ", 1)
    path = api_path(template, world)
    client = client_for(role, world)
    response = getattr(client, method.lower())(path, {}, content_type="application/json")
    problem = check(
        response,
        allowed=role in API_MATRIX[operation],
        denied_with=api_denial(role),
        allowed_may_404=False,
    )
    assert not problem, f"{role} {operation} {problem}: {response.content[:200]!r}"


def test_api_token_authentication_is_staff_only_too(world):
    """An API token is a credential like a session: a fellow's token opens nothing."""
    from rest_framework.authtoken.models import Token

    for role, expected in (("fellow", 403), ("staff", 200)):
        token = Token.objects.create(user=world.users[role])
        response = Client().get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Token {token.key}")
        assert response.status_code == expected, role


# -- fellows' private details ------------------------------------------------------------------

PRIVATE_KEYS = {"legal_name", "email", "phone", "home_base"}


@pytest.mark.parametrize(
    ("role", "sees_private"),
    [("staff", False), ("staff_with_permission", True), ("admin", True)],
)
def test_private_fellow_details_need_their_permission(role, sees_private, world):
    """docs/permissions.md, "Fellows' private details": staff see display names only unless
    they hold fellows.view_private_details (superusers hold every permission)."""
    from django.contrib.auth.models import Permission

    user = world.users["admin" if role == "admin" else "staff"]
    if role == "staff_with_permission":
        user.user_permissions.add(Permission.objects.get(codename="view_private_details"))
    client = Client()
    client.force_login(user)
    fellow_id = world.api_ids["fellows"]
    listed = client.get("/api/v1/fellows/").json()["results"]
    one = client.get(f"/api/v1/fellows/{fellow_id}/").json()
    for answer in [*listed, one]:
        assert answer["display_name"] == "Grace" or answer["id"] != fellow_id
        assert (set(answer) >= PRIVATE_KEYS) is sees_private
        assert (PRIVATE_KEYS & set(answer) == set()) is not sees_private
