"""HEAD is answered wherever GET is: every page of the URLconf and every GET operation of the
API, walked from the permissions matrix (which itself fails for a URL without an entry), as a
visitor the page lets in. HEAD must give GET's status and headers and an empty body."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import test_permissions_matrix as matrix
from tests.test_permissions_matrix import (
    API_MATRIX,
    ROLES,
    WEB_MATRIX,
    api_path,
    client_for,
    model_admin_names,
    url_args,
)

pytestmark = pytest.mark.django_db

# The matrix's fixtures: one of everything a URL can address, and fresh rate limits.
world = matrix.world
fresh_rate_limits = matrix.fresh_rate_limits

GET_PAGES = sorted(name for name, rule in WEB_MATRIX.items() if rule.method == "get")
GET_OPERATIONS = sorted(op for op in API_MATRIX if op.startswith("GET "))


def _visitor(allowed: frozenset[str]) -> str:
    # Public pages as a stranger (a signed-in visitor is sent on from a login page); others as
    # the most privileged visitor the rule lets in, so the page does its real work.
    if "anonymous" in allowed:
        return "anonymous"
    return next(role for role in reversed(ROLES) if role in allowed)


def _same_answer(client, path: str, query: dict | None = None) -> str:
    got = client.get(path, query or {})
    head = client.head(path, query or {})
    if head.status_code != got.status_code:
        return f"{path}: HEAD {head.status_code}, GET {got.status_code}"
    if head.content:
        return f"{path}: HEAD sent a body"
    if head.get("Content-Type") != got.get("Content-Type"):
        return f"{path}: HEAD {head.get('Content-Type')}, GET {got.get('Content-Type')}"
    return ""


@pytest.mark.parametrize("name", GET_PAGES)
def test_head_is_answered_like_get_on_every_page(name, world):
    rule = WEB_MATRIX[name]
    role = _visitor(rule.allowed)
    if name == "admin:<catch-all>":
        path = "/admin/no-such-page/"
    else:
        path = reverse(name, args=url_args(rule, role, world))
    problem = _same_answer(client_for(role, world), path, rule.query)
    assert not problem
    assert client_for(role, world).head(path, rule.query).status_code != 405


@pytest.mark.parametrize("operation", GET_OPERATIONS)
def test_head_is_answered_like_get_on_every_api_read(operation, world):
    path = api_path(operation.split(" ", 1)[1], world)
    problem = _same_answer(client_for("admin", world), path)
    assert not problem


def test_head_is_answered_on_admin_model_pages(world):
    client = client_for("admin", world)
    problems = []
    for name in model_admin_names():
        if not name.endswith("_changelist"):
            continue
        problem = _same_answer(client, reverse(name))
        if problem:
            problems.append(problem)
    assert not problems
