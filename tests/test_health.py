"""/healthz: a load balancer's and Docker's probe. The production-shape tests (test_production.py)
also run it against real PostgreSQL and Redis, with a real worker, and with all of them gone."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from bench.harness import free_port
from jobs.models import WorkerBeat


def answer(client, **headers):
    response = client.get("/healthz", **headers)
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
    assert statuses(body) == {"database": "ok", "cache": "ok", "worker": "ok"}
    assert body["checks"]["worker"]["last_beat_seconds_ago"] == 3


@pytest.mark.django_db
def test_no_worker_at_all_is_unhealthy(client):
    status, body = answer(client)
    assert status == 503
    assert statuses(body) == {"database": "ok", "cache": "ok", "worker": "fail"}
    assert body["checks"]["worker"]["error"] == "no worker is running"


def test_a_worker_silent_for_too_long_is_unhealthy(client, beat, settings):
    settings.WORKER_STALE_SECONDS = 60
    beat(seconds_ago=59)
    assert answer(client)[0] == 200
    beat(seconds_ago=61)
    status, body = answer(client)
    assert status == 503
    assert body["checks"]["worker"]["error"] == "no worker has shown life for 61 s"


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


def test_probes_on_the_containers_own_address_over_http_are_answered(client, beat, settings):
    """Docker and load balancers probe http://<container address>/healthz: neither an allowed host
    nor HTTPS, which every other page would refuse or redirect."""
    beat()
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
