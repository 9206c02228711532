"""The dashboard recogniser's core: symbol drawings, safe image decoding, detection with the shipped model."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from catalog.symbols import (
    CORE_CODES,
    STANDARD_COLOURS,
    WARNING_LIGHT_CODES,
    render_icon_png,
    render_mask,
    render_symbol,
    style_count,
)
from mlops.ml.dashboard import DashboardRecognizer, LightDetection, open_image
from mlops.ml.dashboard.evaluate import dark_panel, place_lit, real_icons
from mlops.ml.dashboard.recognizer import box_iou
from mlops.ml.errors import MediaError

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "mlops" / "artifacts" / "dashboard-v3"  # the newest version, the one load_models activates
DATA_DIR = Path(os.environ.get("CARDOC_DATA_DIR") or REPO.parent / "shared" / "data")
AMBER = (255, 190, 20)


@pytest.fixture(scope="module")
def recognizer() -> DashboardRecognizer:
    return DashboardRecognizer.load(ARTIFACTS)


def dark_photo(size: tuple[int, int] = (640, 480)) -> Image.Image:
    return Image.new("RGB", size, (16, 17, 21))


def photo_with(
    code: str, *, at: tuple[int, int], size: int, colour: tuple[int, int, int] = AMBER
) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """A dark panel with one lit symbol, and the symbol's true box."""
    photo = dark_photo()
    symbol = render_symbol(code, size=size, colour=colour)
    photo.paste(symbol, at, symbol)
    x0, y0, x1, y1 = symbol.getchannel("A").point(lambda v: 255 if v > 40 else 0).getbbox()
    return photo, (at[0] + x0, at[1] + y0, at[0] + x1, at[1] + y1)


# ---- the taxonomy and its drawings ----
def test_the_taxonomy_has_39_codes_of_which_19_are_core() -> None:
    assert len(WARNING_LIGHT_CODES) == len(set(WARNING_LIGHT_CODES)) == 39
    assert WARNING_LIGHT_CODES[:19] == CORE_CODES
    assert set(STANDARD_COLOURS) == set(WARNING_LIGHT_CODES)
    assert set(STANDARD_COLOURS.values()) <= {"red", "amber", "green", "blue", "white"}


@pytest.mark.parametrize("code", WARNING_LIGHT_CODES)
def test_it_draws_every_code_in_every_style(code: str) -> None:
    assert style_count(code) >= (6 if code in CORE_CODES else 2)
    for style in range(style_count(code)):
        image = render_symbol(code, size=64, style=style, colour=(10, 200, 30))
        assert image.mode == "RGBA"
        assert image.size == (64, 64)
        alpha = np.asarray(image.getchannel("A"))
        assert 0.03 < (alpha > 128).mean() < 0.95, f"{code} style {style} is nearly empty or full"
        assert tuple(np.asarray(image)[alpha > 128][0][:3]) == (10, 200, 30)


def test_distinct_codes_look_distinct() -> None:
    masks = {code: np.asarray(render_mask(code, size=48)) / 255 for code in WARNING_LIGHT_CODES}
    # The cold-coolant light is the hot-coolant pictogram in blue: only its colour sets it apart.
    same_shape = {frozenset({"coolant_temp", "coolant_cold"})}
    for i, a in enumerate(WARNING_LIGHT_CODES):
        for b in WARNING_LIGHT_CODES[i + 1 :]:
            if frozenset({a, b}) not in same_shape:
                assert np.abs(masks[a] - masks[b]).mean() > 0.03, f"{a} and {b} are drawn alike"


def test_it_rejects_an_unknown_code_or_style() -> None:
    with pytest.raises(KeyError):
        render_symbol("flux_capacitor", size=32)
    with pytest.raises(ValueError, match="styles"):
        render_symbol("abs", size=32, style=style_count("abs"))


def test_the_catalog_icon_is_a_png_tile() -> None:
    icon = Image.open(io.BytesIO(render_icon_png("oil_pressure", size=96)))
    assert icon.format == "PNG"
    assert icon.size == (96, 96)
    assert icon.convert("RGBA").getpixel((48, 2))[3] == 255  # an opaque tile, not a bare symbol


# ---- decoding user images ----
def jpeg_bytes(image: Image.Image, **params: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=95, **params)
    return buf.getvalue()


def test_it_decodes_jpeg_png_and_webp_from_bytes_paths_and_files(tmp_path: Path) -> None:
    image = Image.new("RGB", (40, 30), (200, 20, 20))
    for fmt in ("JPEG", "PNG", "WEBP"):
        buf = io.BytesIO()
        image.save(buf, format=fmt)
        path = tmp_path / f"photo.{fmt.lower()}"
        path.write_bytes(buf.getvalue())
        for source in (buf.getvalue(), path, io.BytesIO(buf.getvalue())):
            decoded = open_image(source)
            assert decoded.mode == "RGB"
            assert decoded.size == (40, 30)


def test_transparent_pixels_become_a_dark_panel() -> None:
    icon = Image.new("RGBA", (10, 10), (255, 255, 255, 0))
    buf = io.BytesIO()
    icon.save(buf, format="PNG")
    assert open_image(buf.getvalue()).getpixel((5, 5)) == (0, 0, 0)


def test_it_honours_exif_orientation() -> None:
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 20, 20))  # red on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: display rotated 90 degrees clockwise
    upright = open_image(jpeg_bytes(image, exif=exif.tobytes()))
    assert upright.size == (20, 40)
    top, bottom = upright.getpixel((10, 5)), upright.getpixel((10, 35))
    assert top[0] > 200
    assert top[2] < 60
    assert bottom[2] > 200
    assert bottom[0] < 60


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(40), id="a wav file"),
        pytest.param(b"not an image at all", id="text"),
        pytest.param(bytes(range(256)) * 8, id="random bytes"),
    ],
)
def test_it_rejects_bytes_that_are_not_an_image(data: bytes) -> None:
    with pytest.raises(MediaError):
        open_image(data)


def test_it_rejects_a_truncated_jpeg() -> None:
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8))
    data = jpeg_bytes(noise)
    with pytest.raises(MediaError):
        open_image(data[: len(data) // 2])


def test_it_rejects_a_corrupt_png() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (9, 9, 9)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    data[60:80] = b"\xff" * 20  # inside the compressed pixel data, so its checksum fails
    with pytest.raises(MediaError):
        open_image(bytes(data))


def test_it_rejects_an_unsupported_format() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, format="GIF")
    with pytest.raises(MediaError):
        open_image(buf.getvalue())


def png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IEND", b"")
    )


def test_it_rejects_images_over_40_megapixels_before_decoding_them() -> None:
    with pytest.raises(MediaError, match="megapixel"):
        open_image(png_header(8000, 5001))


def test_it_rejects_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        open_image(tmp_path / "nope.jpg")


# ---- detection with the shipped model ----
def test_the_shipped_model_is_small_and_a_plain_state_dict() -> None:
    assert (ARTIFACTS / "weights.pt").stat().st_size < 25 * 1024 * 1024
    for name in ("config.json", "metrics.json", "confusion.png"):
        assert (ARTIFACTS / name).is_file()


@pytest.mark.parametrize(
    ("code", "colour"),
    [
        ("brake", (235, 40, 30)),
        ("check_engine", AMBER),
        ("oil_pressure", (235, 40, 30)),
        ("battery", (235, 40, 30)),
        ("high_beam", (40, 90, 255)),
        ("tpms", AMBER),
        ("seatbelt", (235, 40, 30)),
        ("low_fuel", AMBER),
    ],
)
def test_it_finds_a_lit_symbol_where_it_is(
    recognizer: DashboardRecognizer, code: str, colour: tuple[int, int, int]
) -> None:
    photo, truth = photo_with(code, at=(380, 150), size=110, colour=colour)
    found = recognizer.detect(photo)
    assert found, f"nothing found for {code}"
    assert found[0].code == code
    assert box_iou(found[0].box, truth) > 0.5
    assert all(isinstance(d, LightDetection) and 0 < d.confidence <= 1 for d in found)


def test_boxes_are_in_the_original_photos_pixels(recognizer: DashboardRecognizer) -> None:
    photo, truth = photo_with("abs", at=(100, 60), size=120)
    big = photo.resize((2560, 1920), Image.Resampling.BICUBIC)
    found = recognizer.detect(big)
    assert found
    assert found[0].code == "abs"
    assert box_iou(found[0].box, tuple(4 * v for v in truth)) > 0.5


def test_detections_come_most_confident_first(recognizer: DashboardRecognizer) -> None:
    photo = dark_photo((960, 480))
    for i, code in enumerate(("brake", "battery", "abs")):
        symbol = render_symbol(code, size=150, colour=(235, 40, 30) if code != "abs" else AMBER)
        photo.paste(symbol, (60 + i * 300, 150), symbol)
    found = recognizer.detect(photo)
    assert {d.code for d in found} >= {"brake", "battery", "abs"}
    assert [d.confidence for d in found] == sorted((d.confidence for d in found), reverse=True)


def gradient(a: tuple[int, int, int], b: tuple[int, int, int]) -> Image.Image:
    t = np.linspace(0, 1, 1280)[None, :, None]
    return Image.fromarray(((np.array(a) + (np.array(b) - np.array(a)) * t) * np.ones((960, 1, 1))).astype(np.uint8))


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(Image.new("RGB", (1280, 960)), id="black"),
        pytest.param(Image.new("RGB", (1280, 960), (28, 28, 32)), id="dark grey"),
        pytest.param(Image.new("RGB", (640, 480), (255, 255, 255)), id="white"),
        pytest.param(
            Image.fromarray(np.random.default_rng(1).integers(0, 256, (480, 640, 3), dtype=np.uint8)),
            id="noise",
        ),
        pytest.param(
            Image.fromarray(np.random.default_rng(2).integers(0, 40, (960, 1280, 3), dtype=np.uint8)),
            id="dark noise",
        ),
        pytest.param(gradient((0, 0, 0), (255, 255, 255)), id="grey gradient"),
        pytest.param(gradient((10, 20, 120), (250, 200, 30)), id="colour gradient"),
        pytest.param(
            Image.fromarray(np.random.default_rng(3).integers(0, 256, (9, 12, 3), dtype=np.uint8)).resize(
                (1280, 960), Image.Resampling.BICUBIC
            ),
            id="smooth texture",
        ),
    ],
)
def test_it_finds_nothing_where_nothing_is_lit(recognizer: DashboardRecognizer, image: Image.Image) -> None:
    assert recognizer.detect(image) == []


def test_it_handles_tiny_and_greyscale_images(recognizer: DashboardRecognizer) -> None:
    assert recognizer.detect(Image.new("L", (3, 2), 200)) == []
    assert recognizer.detect(Image.new("RGB", (1, 1))) == []


# ---- real icons, where the data set is present ----
@pytest.mark.skipif(not (DATA_DIR / "dashboard").is_dir(), reason="real dashboard icons not available")
def test_it_recognises_real_core_icons_lit_on_a_dark_panel(recognizer: DashboardRecognizer) -> None:
    icons = [i for i in real_icons(DATA_DIR) if i[0] in CORE_CODES]
    assert icons
    hits = 0
    for k, (code, _name, icon) in enumerate(icons):
        photo = dark_panel((640, 480), np.random.default_rng(k))
        truth = place_lit(photo, icon, 96, (272, 192))
        found = recognizer.detect(photo)
        hits += bool(found) and found[0].code == code and box_iou(found[0].box, truth) > 0.5
    assert hits / len(icons) >= 0.9
