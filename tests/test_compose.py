"""compose.yaml and .env.example: what an operator runs. There is no Docker here, so the file is read
as compose reads it, and its settings are run for real against the throwaway PostgreSQL and Redis."""

import re
import secrets
import subprocess
from pathlib import Path

import pytest
import yaml

from bench.harness import PYTHON, ROOT
from tests.services import create_database

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
# ${NAME}, ${NAME:-default} and ${NAME:?error}, as compose interpolates them.
VARIABLE = re.compile(r"\$\{(\w+)(?::[-?][^}]*)?\}")


def env_example():
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def test_web_and_worker_run_the_same_image_with_the_secrets_from_env():
    web, worker = SERVICES["web"], SERVICES["worker"]
    assert web["build"] == worker["build"] == "."
    assert web["image"] == worker["image"]
    for service in (web, worker):
        assert service["env_file"] == ".env"
        assert service["environment"]["DATABASE_URL"].startswith("postgres://")
        assert "@db:5432/" in service["environment"]["DATABASE_URL"]
        assert service["environment"]["REDIS_URL"].startswith("redis://redis:")
        # No secret is written into the compose file itself.
        assert not {"SECRET_KEY", "API_KEY_ENCRYPTION_KEYS"} & set(service["environment"])
    assert worker["command"] == ["python", "manage.py", "worker"]
    assert "gunicorn" in " ".join(web["command"])


def test_migrations_run_once_before_web_and_worker_start():
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "migrate", "--no-input"]
    for name in ("web", "worker"):
        assert SERVICES[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert SERVICES["migrate"]["depends_on"]["db"] == {"condition": "service_healthy"}


def test_the_database_lives_in_a_named_volume():
    volume, _, path = SERVICES["db"]["volumes"][0].partition(":")
    assert path == "/var/lib/postgresql/data"
    assert volume in COMPOSE["volumes"]
    assert SERVICES["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_the_env_example_names_every_secret_and_holds_none():
    example = env_example()
    for secret in ("SECRET_KEY", "API_KEY_ENCRYPTION_KEYS", "POSTGRES_PASSWORD"):
        assert example[secret] == "", f"{secret} must be left for the operator to fill in"
    # Every other name is a setting Pushdeck reads, or one compose.yaml interpolates.
    read = (ROOT / "dashboard" / "settings.py").read_text() + (
        ROOT / "dashboard" / "gunicorn_conf.py"
    ).read_text()
    interpolated = set(VARIABLE.findall((ROOT / "compose.yaml").read_text()))
    for name in example:
        assert f'"{name}"' in read or name in interpolated, f"{name} is read by nothing"


def test_the_env_file_is_kept_out_of_git_and_out_of_the_image():
    for ignore in (".gitignore", ".dockerignore"):
        assert ".env" in (ROOT / ignore).read_text().split()


@pytest.mark.production
def test_the_compose_settings_pass_the_deploy_checks_on_postgresql_and_redis(services, tmp_path):
    """The web container's environment, as compose builds it from .env.example filled in, with the
    database and Redis hosts pointed at the throwaway servers; then the web's start-up check."""
    filled = {
        **env_example(),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "API_KEY_ENCRYPTION_KEYS": secrets.token_urlsafe(48),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
    }
    web = SERVICES["web"]
    database = create_database(services.postgres_url, "compose_" + secrets.token_hex(4))
    environment = {
        name: VARIABLE.sub(lambda match: filled[match[1]], value)
        for name, value in web["environment"].items()
    }
    host = re.compile(r"@db:5432/pushdeck$")
    assert host.search(environment["DATABASE_URL"])
    environment["DATABASE_URL"] = database.replace(
        "://pushdeck@", f"://pushdeck:{filled['POSTGRES_PASSWORD']}@"
    )
    environment["REDIS_URL"] = services.redis_url
    env = {"PATH": str(Path(PYTHON).parent) + ":/usr/bin:/bin", **filled, **environment}
    check = web["command"][2].split("&&")[0].split()
    assert check[:3] == ["python", "manage.py", "check"]
    for command in (["manage.py", "migrate", "--no-input"], [*check[1:], "--database", "default"]):
        result = subprocess.run(
            [PYTHON, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
