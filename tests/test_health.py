"""/healthz: a load balancer's and Docker's probe of the instance itself, with the worker's state
beside; /healthz/worker: monitoring's probe of the background work. The production-shape tests
(test_production.py) also run them against real PostgreSQL and Redis, with a real worker, and with
all of them gone."""

import json
from datetime import timedelta
from unittest.mock import ANY

import pytest
from django.db import OperationalError
from django.utils import timezone

from bench.harness import free_port
from dashboard import health
from jobs.models import WorkerBeat


def answer(client, path="/healthz", **headers):
    response = client.get(path, **headers)
    return response.status_code, json.loads(response.content)


def statuses(body):
    return {name: check["status"] for name, check in body["checks"].items()}


@pytest.fixture
def beat(db):
    """A worker's heartbeat, seconds_ago old."""

    def beat(seconds_ago=0):
        now = timezone.now()
        WorkerBeat.objects.update_or_create(
            worker_id="w1",
            defaults={
                "hostname": "worker-1",
                "pid": 1,
                "started_at": now - timedelta(hours=1),
                "beat_at": now - timedelta(seconds=seconds_ago),
            },
        )

    return beat


def test_healthy_when_the_database_the_cache_and_a_worker_answer(client, beat):
    beat(seconds_ago=3)
    status, body = answer(client)
    assert status == 200
    assert body["status"] == "ok"
    assert statuses(body) == {"database": "ok", "cache": "ok"}
    assert body["worker"]["status"] == "ok"
    assert body["worker"]["last_beat_seconds_ago"] == 3
    assert answer(client, "/healthz/worker")[0] == 200


@pytest.mark.django_db
def test_a_web_instance_stays_healthy_without_a_worker_and_says_the_worker_is_down(client):
    """A load balancer must not take every web instance out of service because the worker stopped:
    the instance answers 200, and the body says what is wrong with the background work."""
    status, body = answer(client)
    assert status == 200
    assert body["status"] == "ok"
    assert statuses(body) == {"database": "ok", "cache": "ok"}
    assert body["worker"] == {"status": "fail", "error": "no worker is running", "ms": ANY}


@pytest.mark.django_db
def test_the_worker_check_fails_on_its_own_address_when_no_worker_runs(client):
    status, body = answer(client, "/healthz/worker")
    assert status == 503
    assert body == {
        "status": "fail",
        "checks": {"worker": {"status": "fail", "error": "no worker is running", "ms": ANY}},
    }


def test_a_worker_silent_for_too_long_fails_the_worker_check_only(client, beat, settings):
    settings.WORKER_STALE_SECONDS = 60
    beat(seconds_ago=59)
    assert answer(client, "/healthz/worker")[0] == 200
    beat(seconds_ago=61)
    status, body = answer(client, "/healthz/worker")
    assert status == 503
    assert body["checks"]["worker"]["error"] == "no worker has shown life for 61 s"
    status, body = answer(client)
    assert status == 200
    assert body["worker"]["error"] == "no worker has shown life for 61 s"


def test_a_cache_that_does_not_answer_makes_it_unhealthy_without_saying_where_it_is(client, beat, settings):
    beat()
    location = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        alias: {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
        for alias in settings.CACHES
    }
    response = client.get("/healthz")
    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"]["cache"]["status"] == "fail"
    assert body["checks"]["cache"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["status"] == "ok"
    assert "hunter2" not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


def test_a_database_that_does_not_answer_fails_both_and_the_worker_is_not_asked(client, beat, monkeypatch):
    beat()

    def refused(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setitem(health.CHECKS, "database", refused)
    status, body = answer(client)
    assert status == 503
    assert body["checks"]["database"] == {"status": "fail", "error": "OperationalError", "ms": ANY}
    assert body["worker"] == {"status": "fail", "error": "the database is unavailable", "ms": 0}
    assert answer(client, "/healthz/worker")[0] == 503


def test_probes_on_the_containers_own_address_over_http_are_answered(client, beat, settings):
    """Docker and load balancers probe http://<container address>/healthz: neither an allowed host
    nor HTTPS, which every other page would refuse or redirect."""
    beat()
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["dashboard.example.com"]
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.7:8000").status_code == 400
    for path in ("/healthz", "/healthz/worker"):
        status, body = answer(client, path, HTTP_HOST="10.0.0.7:8000")
        assert status == 200
        assert body["status"] == "ok"


@pytest.mark.django_db
def test_the_answer_is_never_cached(client):
    assert client.get("/healthz")["Cache-Control"] == "no-store"
    assert client.get("/healthz/worker")["Cache-Control"] == "no-store"


def test_only_reads_are_answered(client):
    # A POST goes on to the site, which knows no such page: never a check with side effects.
    assert client.post("/healthz").status_code in (403, 404)
    assert client.post("/healthz/worker").status_code in (403, 404)
