"""Memory per anonymous request is bounded (issue 10, item 3): a body larger than REQUEST_MAX_BYTES
is refused before anything reads it, and a request carries one file part at most."""

import socket
import tracemalloc
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import TooManyFilesSent
from django.test import RequestFactory

BOUNDARY = "pushdeck-test-boundary"


def raw_post(live_server, path, length, parts=()):
    """Headers announcing ``length`` bytes, then only the given parts: the answer's head and text.

    Read up to the end of the answer's body, not of the connection: Django's test server drains
    an unread request body after answering, which a production server does not do.
    """
    address = urlsplit(live_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: localhost\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                # Any well-formed CSRF cookie makes the CSRF check read the body's token.
                f"Cookie: csrftoken={'a' * 32}\r\n"
                f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        for part in parts:
            sock.sendall(part)
        answer = b""
        while not _complete(answer):
            answer += sock.recv(65536)
    return answer.decode("utf-8", "replace")


def _complete(answer):
    head, separator, body = answer.partition(b"\r\n\r\n")
    if not separator:
        return False
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def file_parts(count, size):
    """``count`` file parts of ``size`` bytes, produced one at a time (never a whole body in memory)."""
    block = b"\0" * 65536
    for number in range(count):
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image{number}"; filename="{number}.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        for _ in range(size // len(block)):
            yield block
        yield b"\r\n"
    yield f"--{BOUNDARY}--\r\n".encode()


def body_length(count, size):
    return sum(len(part) for part in file_parts(count, size))


@pytest.mark.django_db(transaction=True)
def test_an_oversized_anonymous_post_is_refused_before_its_body_is_read(live_server, settings):
    # 220 MB announced and none of it sent: a server that reads first would wait for it (and time out).
    answer = raw_post(live_server, "/accounts/login/", 220 * 1024 * 1024)
    assert answer.startswith("HTTP/1.1 413")
    assert "larger than Pushdeck accepts" in answer


def test_only_one_file_part_is_buffered(settings):
    count, size = 6, 1024 * 1024
    body = b"".join(file_parts(count, size))
    assert len(body) < settings.REQUEST_MAX_BYTES
    request = RequestFactory().post(
        "/accounts/login/", data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    tracemalloc.start()
    try:
        # What the CSRF check does first: read the form, anonymous or not.
        with pytest.raises(TooManyFilesSent):
            request.POST  # noqa: B018
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Six 1 MB files were six buffers before; now the second file ends the request.
    assert peak < 2 * size


def test_the_limit_leaves_room_for_an_image_a_few_times_too_large(settings):
    assert settings.REQUEST_MAX_BYTES >= 4 * settings.IMAGE_MAX_BYTES
