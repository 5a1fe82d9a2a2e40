"""/healthz: a load balancer's and Docker's probe. The production-shape tests (test_production.py)
also run it against real PostgreSQL and Redis, and with both gone."""

import json

import pytest

from scripts.harness import free_port


def answer(client, **headers):
    response = client.get("/healthz", **headers)
    return response.status_code, json.loads(response.content)


@pytest.mark.django_db
def test_healthy_when_the_database_and_the_cache_answer(client):
    status, body = answer(client)
    assert status == 200
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
    }


@pytest.mark.django_db
def test_a_cache_that_does_not_answer_makes_it_unhealthy_without_saying_where_it_is(client, settings):
    location = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    }
    response = client.get("/healthz")
    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"]["cache"] == {
        "status": "fail",
        "error": "ConnectionError",
        "ms": body["checks"]["cache"]["ms"],
    }
    assert body["checks"]["database"]["status"] == "ok"
    assert "hunter2" not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_probes_on_the_containers_own_address_over_http_are_answered(client, settings):
    """Docker and load balancers probe http://<container address>/healthz: neither an allowed host
    nor HTTPS, which every other page would refuse or redirect."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["dashboard.example.com"]
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.7:8000").status_code == 400
    status, body = answer(client, HTTP_HOST="10.0.0.7:8000")
    assert status == 200
    assert body["status"] == "ok"


@pytest.mark.django_db
def test_the_answer_is_never_cached(client):
    assert client.get("/healthz")["Cache-Control"] == "no-store"


def test_only_reads_are_answered(client):
    # A POST goes on to the site, which knows no such page: never a check with side effects.
    assert client.post("/healthz").status_code in (403, 404)
