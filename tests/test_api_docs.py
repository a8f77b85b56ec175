"""/api/docs/ speaks to API users: every operation has a summary and a description, and none
of them is a developer's docstring (scheduler/api_docs.py)."""

from __future__ import annotations

import inspect

from drf_spectacular.generators import SchemaGenerator

from scheduler.api_urls import router


def test_every_operation_has_a_user_facing_summary_and_description():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    docstrings = set()
    for _prefix, viewset, _basename in router.registry:
        for klass in inspect.getmro(viewset):
            if klass.__doc__:
                docstrings.add(inspect.cleandoc(klass.__doc__))
            for member in vars(klass).values():
                if callable(member) and getattr(member, "__doc__", None):
                    docstrings.add(inspect.cleandoc(member.__doc__))
    problems = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            name = f"{method.upper()} {path}"
            if not operation.get("summary") or not operation.get("description"):
                problems.append(f"{name}: no summary or description")
            elif inspect.cleandoc(operation["description"]) in docstrings:
                problems.append(f"{name}: shows a docstring")
    assert not problems
