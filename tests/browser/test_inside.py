"""Look inside the network from a real drawing: saliency on the Draw page, activations on
Look Inside, and classroom mode; these also take the README's pictures of them."""

from __future__ import annotations

import pytest

from devtools import harness

pytestmark = pytest.mark.browser


def open_expander(page, label: str) -> None:
    harness.interact(page, page.locator('[data-testid="stExpander"] summary').filter(has_text=label).first.click)


def test_why_panel_shows_saliency_for_the_drawing(page, base_url):
    harness.open_app_page(page, base_url, "/draw")
    assert harness.draw_digit(page, 7) == 7
    open_expander(page, "Why this answer?")
    panel = page.locator('[data-testid="stExpander"]').filter(has_text="Why this answer?").first
    panel.get_by_text("Why 7").first.wait_for(state="visible", timeout=30_000)
    assert panel.get_by_text("Why not").count() >= 1
    assert panel.locator("img").count() >= 2  # winner and runner-up heatmaps
    open_expander(page, "step by step")
    steps = page.locator('[data-testid="stExpander"]').filter(has_text="step by step").first
    steps.get_by_text("centre of mass").first.wait_for(state="visible", timeout=30_000)
    assert steps.locator("img").count() >= 4  # canvas, cropped, scaled, centred
    assert not page.js_errors, page.js_errors


def test_look_inside_shows_activations_of_my_drawing(page, base_url, save_screenshot):
    harness.open_app_page(page, base_url, "/draw")
    assert harness.draw_digit(page, 3) == 3
    harness.interact(page, page.get_by_role("link", name="Look inside").first.click)
    page.get_by_role("heading", name="Look inside").first.wait_for(timeout=30_000)
    harness.wait_idle(page)
    page.get_by_text("Your drawing").first.wait_for(state="visible", timeout=30_000)  # the drawing travelled with the session
    page.get_by_text("Why 3").first.wait_for(state="visible", timeout=30_000)
    save_screenshot(page, "look_inside")
    page.get_by_role("tab", name="Activations").click()  # tabs switch in the browser: no rerun
    page.get_by_text("feature maps").first.wait_for(state="visible", timeout=30_000)
    assert page.get_by_text("before and after softmax").first.is_visible()
    assert not harness.page_problems(page)
    assert not page.js_errors, page.js_errors


def test_classroom_mode_reads_from_the_back(page, base_url, save_screenshot):
    harness.open_app_page(page, base_url, "/draw")
    normal = harness.canvas_box(page)["width"]
    harness.interact(page, page.get_by_text("Classroom mode").first.click)
    harness.wait_idle(page)
    big = harness.canvas_box(page)
    assert big["width"] > normal * 1.3
    assert page.locator('[data-testid="stSlider"]').filter(has_text="Brush size").count() == 0
    as_is = harness.Variant(height=0.72, aspect=0.68, centre=(0.5, 0.5), brush=None)  # no brush slider here
    assert harness.draw_digit(page, 4, as_is) == 4
    size = page.locator(".st-key-prediction p").first.evaluate("p => parseFloat(getComputedStyle(p).fontSize)")
    assert size >= 60  # pixels: readable across a classroom
    line = page.locator(".st-key-prediction p").first.bounding_box()
    assert line["height"] < size * 1.6  # on one line, not wrapped
    harness.settled_look(page)
    save_screenshot(page, "classroom")
    assert not page.js_errors, page.js_errors


def test_an_upload_over_the_size_limit_is_refused_and_drawing_still_works(page, base_url):
    """.streamlit/config.toml caps uploads at 5 MB: a bigger file gets a message, nothing breaks."""
    import io

    import numpy as np
    from PIL import Image

    harness.open_app_page(page, base_url, "/draw")
    page.locator('[data-testid="stExpander"] summary').filter(has_text="Or use a picture").first.click()
    page.locator('input[type="file"]').first.wait_for(state="attached", timeout=15_000)  # no rerun to wait for
    noise = np.random.default_rng(0).integers(0, 256, (1400, 1400, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="PNG")  # incompressible: about 5.9 MB
    assert buffer.tell() > 5 * 1024 * 1024
    page.locator('input[type="file"]').first.set_input_files(
        {"name": "huge.png", "mimeType": "image/png", "buffer": buffer.getvalue()})
    page.get_by_text("5.0MB", exact=False).first.wait_for(state="visible", timeout=15_000)
    assert "Prediction:" not in page.locator("body").inner_text()
    assert harness.draw_digit(page, 1) == 1  # the page keeps working


def test_a_refused_file_type_replaces_the_previous_upload_error(page, base_url):
    harness.open_app_page(page, base_url, "/draw")
    page.locator('[data-testid="stExpander"] summary').filter(has_text="Or use a picture").first.click()
    uploader = page.locator('input[type="file"]').first
    uploader.wait_for(state="attached", timeout=15_000)
    since = harness.mark(page)
    uploader.set_input_files({"name": "bad.png", "mimeType": "image/png", "buffer": b"not an image"})
    harness.wait_settled(page, since)
    ours = page.locator(".st-key-draw_upload_error")
    assert ours.first.is_visible()
    uploader.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"})
    page.get_by_text("files are not allowed").first.wait_for(state="visible", timeout=15_000)
    ours.first.wait_for(state="hidden", timeout=5_000)


def test_an_uploaded_photo_is_read_and_every_picture_beside_it_loads(page, base_url, save_screenshot):
    """A phone photo of a held-out writer's 6 on a page lying on a desk, turned: the answer, what the network
    sees and the preview of the upload all show.

    The old page answered right but showed a broken image under "What the network sees": the 28x28 input
    and the preview went into the same container from inside a fragment, Streamlit gave both the same media
    address, and the second replaced (and deleted) the first."""
    import io

    import numpy as np
    from PIL import Image

    from mnist_core.handwriting import HELD_OUT_SEED, Writer, on_a_desk, scan_image

    seed = HELD_OUT_SEED + 506
    writer, r = Writer.from_seed(seed), np.random.default_rng(seed * 10 + 6)
    photo = on_a_desk(scan_image(writer.strokes(6, r), writer, r), r, 0.5)
    buffer = io.BytesIO()
    Image.fromarray(photo).resize((photo.shape[1] * 3, photo.shape[0] * 3), Image.Resampling.BICUBIC).save(
        buffer, format="JPEG", quality=85)
    missing = []
    page.on("response", lambda r: missing.append(r.url) if "/media/" in r.url and r.status >= 400 else None)

    harness.open_app_page(page, base_url, "/draw")
    page.locator('[data-testid="stExpander"] summary').filter(has_text="Or use a picture").first.click()
    uploader = page.locator('input[type="file"]').first
    uploader.wait_for(state="attached", timeout=15_000)
    since = harness.mark(page)
    uploader.set_input_files({"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()})
    harness.wait_settled(page, since)
    page.get_by_text("Prediction: 6").first.wait_for(state="visible", timeout=30_000)
    page.get_by_text("Your picture").first.wait_for(state="visible", timeout=15_000)
    pictures = page.locator('[data-testid="stMainBlockContainer"] [data-testid="stImage"] img')
    assert pictures.count() >= 2  # what the network sees, and the upload's preview
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMainBlockContainer"] [data-testid="stImage"] img')]
                 .every(img => img.complete)""", timeout=15_000)
    broken = pictures.evaluate_all("imgs => imgs.filter(img => img.naturalWidth === 0).map(img => img.src)")
    assert not broken and not missing, (broken, missing)
    assert not harness.page_problems(page)
    assert not page.js_errors, page.js_errors
    harness.settled_look(page)
    save_screenshot(page, "draw_upload")
