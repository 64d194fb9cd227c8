"""The New generation form in Chromium, on a phone and a desktop: a provider's missing options
disable themselves with the reason, the price follows, a chosen and a dropped image show
previews, an example fills the prompt, and the job is created with both frames."""

import base64

import pytest

from billing.services import grant
from generations.models import Generation, UploadedImage
from tests.browser.checks import assert_fits_and_accessible, log_in
from tests.factories import make_tenant, make_user
from tests.portal.test_generations import png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Drops a PNG (base64) on a drop zone the way a file dragged from the desktop arrives.
DROP = """([selector, data]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], "last.png", {type: "image/png"}));
  const zone = document.querySelector(selector);
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: transfer}));
  }
}"""


@pytest.fixture
def studio(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    owner = make_user("nora@example.org")
    tenant = make_tenant("Nora Films", owner=owner)
    grant(tenant, 500, note="test funds")
    return tenant


@pytest.mark.parametrize("width", [390, 1280])
def test_pick_provider_see_options_and_price_add_frames_and_submit(
    chromium, live_server, studio, tmp_path, width
):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": 844})
    # Generous: a loaded CI machine can take seconds for a first page (no timing is asserted).
    context.set_default_timeout(30_000)
    tab = context.new_page()
    try:
        log_in(tab, "nora@example.org")
        tab.goto("/generations/new/")

        # Kie lacks adaptive aspect ratio and auto duration: both disable, with the reason shown.
        tab.get_by_label("Provider").select_option("kie")
        tab.wait_for_selector('#id_aspect_ratio option[value="adaptive"]:disabled', state="attached")
        assert tab.locator('#id_duration option[value="-1"]').is_disabled()
        assert "Kie does not offer adaptive aspect ratio" in tab.locator("#reason-aspect_ratio").inner_text()
        tab.wait_for_selector("#quote [data-credits]")

        # The sandbox has both: they come back, and the price follows the settings.
        tab.get_by_label("Provider").select_option("sandbox")
        tab.wait_for_selector('#id_aspect_ratio option[value="adaptive"]:enabled', state="attached")
        tab.get_by_label("Resolution").select_option("480p")
        tab.wait_for_selector('#quote [data-credits="16"]')

        tab.get_by_role("button", name="A corgi surfing a small").click()
        assert tab.get_by_label("Prompt").input_value().startswith("A corgi surfing a small wave")

        first = tmp_path / "first.png"
        first.write_bytes(png())
        tab.locator("#id_first_frame").set_input_files(str(first))
        tab.wait_for_selector("#kept-first_frame img")
        tab.evaluate(DROP, ['[data-target="#kept-last_frame"]', base64.b64encode(png(480, 360)).decode()])
        tab.wait_for_selector("#kept-last_frame img")
        assert tab.locator("#kept-last_frame").inner_text().startswith("480×360 PNG")
        tab.wait_for_selector('#quote [data-credits="16"]')

        assert_fits_and_accessible(tab, f"new generation, {width} px")

        tab.get_by_role("button", name="Generate video").click()
        tab.wait_for_url("**/generations/gen_*/")
        generation = Generation.objects.get(tenant=studio)
        assert generation.resolution == "480p" and generation.prompt.startswith("A corgi surfing")
        assert generation.first_frame and generation.last_frame
        # Each image was uploaded once, by the drop zone, and not sent again with the form.
        assert UploadedImage.objects.filter(tenant=studio, source="upload").count() == 2
    finally:
        context.close()
