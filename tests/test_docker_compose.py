"""docker compose cannot run here, so the file's structure is checked instead."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_SERVICES = ("web", "worker", "beat")


def test_compose_has_every_service_with_healthchecks():
    services = COMPOSE["services"]
    assert set(services) >= {"postgres", "redis", "web", "worker", "beat", "mailpit"}
    for name in ("postgres", "redis", "web", "worker", "mailpit"):
        assert "test" in services[name]["healthcheck"], name


def test_compose_app_services_share_the_environment_and_wait_for_data_services():
    services = COMPOSE["services"]
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:")
        assert env["EMAIL_URL"] == "smtp://mailpit:1025"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_compose_commands_start_gunicorn_worker_and_beat():
    services = COMPOSE["services"]
    assert "gunicorn scheduler.wsgi" in services["web"]["command"]
    assert "migrate" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A scheduler.celery worker")
    assert services["beat"]["command"].startswith("celery -A scheduler.celery beat")
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_compose_variables_are_documented_in_env_example():
    documented = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line
    }
    used = set(COMPOSE["x-app"]["environment"])
    assert used <= documented, used - documented


def test_the_image_holds_every_package_and_the_translations():
    """A package left out of the Dockerfile imports fine here and fails only in the container."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in patterns}
    copied = {
        line.split()[1]
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ")
    }
    assert packages | {"locale", "manage.py"} <= copied
    on_disk = {
        path.name
        for path in ROOT.iterdir()
        if (path / "__init__.py").exists() and path.name not in {"tests", "benchmarks"}
    }
    assert on_disk <= packages
