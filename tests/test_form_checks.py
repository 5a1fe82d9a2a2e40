"""What the browser can check before anything is sent says so at once, and nothing is sent: an
overlong pasted text (never cut silently), an image too large or of the wrong type."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture
def new_flow_form(signed_in):
    signed_in.get_by_role("link", name="New flow").click()
    expect(signed_in.locator("form[data-flow-form]")).to_be_visible()
    posts = []
    signed_in.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    signed_in.posts = posts
    return signed_in


def test_a_pasted_title_over_64_characters_is_kept_and_the_form_says_so(new_flow_form):
    page = new_flow_form
    title = page.get_by_label("Title")
    pasted = "A summer sale on every garden tool, every plant pot and every watering can"
    assert len(pasted) == 74
    title.fill(pasted)
    assert title.input_value() == pasted
    problem = page.locator("#id_title_problem")
    expect(problem).to_have_text("74 characters, 10 over the limit of 64: shorten it to save.")
    expect(title).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Create flow").click()
    expect(title).to_be_focused()
    assert page.posts == []
    title.fill(pasted[:64])
    expect(problem).to_be_hidden()
    expect(title).not_to_have_attribute("aria-invalid", "true")


def test_an_image_too_large_is_refused_before_it_is_uploaded(new_flow_form, settings):
    page = new_flow_form
    big = io.BytesIO()
    Image.effect_noise((1400, 1400), 100).convert("RGB").save(big, "PNG")
    assert big.tell() > 2 * 1024 * 1024
    page.get_by_label("Image").set_input_files(
        files=[{"name": "huge.png", "mimeType": "image/png", "buffer": big.getvalue()}]
    )
    size = f"{big.tell() / 1048576:.1f} MB"
    expect(page.locator("#id_image_problem")).to_have_text(
        f"This image is {size}; the limit is 2.0 MB. Choose a smaller file."
    )
    page.get_by_role("button", name="Create flow").click()
    assert page.posts == []


def test_a_file_that_is_no_image_is_refused_before_it_is_uploaded(new_flow_form):
    page = new_flow_form
    page.get_by_label("Image").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a picture"}]
    )
    expect(page.locator("#id_image_problem")).to_contain_text("not a JPEG, PNG, GIF or WebP image")
    page.get_by_role("button", name="Create flow").click()
    assert page.posts == []
