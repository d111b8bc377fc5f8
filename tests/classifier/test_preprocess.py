"""Preprocessing: any image a customer sends becomes a sane 28x28 input, or a clear rejection."""

from __future__ import annotations

import io
import logging

import numpy as np
import pytest
from PIL import Image

from classifier.preprocess import ImageRejected, RejectReason, prepare_photo, preprocess_photo, reject_blank
from tests.camera_files import camera_jpeg, exif_with_preview
from tests.conftest import encode, garment_photo


def _garment_centre_brighter_than_corners(model_input: np.ndarray) -> bool:
    image = model_input[..., 0]
    return image[10:18, 10:18].mean() > 0.3 and image[:3, :3].mean() < 0.05


def test_output_shape_range_and_dtype():
    result = preprocess_photo(encode(garment_photo()))
    assert result.shape == (28, 28, 1)
    assert result.dtype == np.float32
    assert result.min() >= 0.0
    assert result.max() <= 1.0


def test_dark_garment_on_white_becomes_light_on_black():
    prepared = prepare_photo(encode(garment_photo()))
    assert prepared.garment_found
    assert _garment_centre_brighter_than_corners(prepared.model_input)


def test_garment_is_cropped_to_fill_the_frame():
    # A small garment in a large empty photo must still fill the 28x28 frame.
    small = garment_photo(size=(1200, 900))
    canvas = Image.new("RGB", (3000, 2400), (235, 235, 230))
    canvas.paste(small.resize((300, 225)), (200, 150))
    result = preprocess_photo(encode(canvas, "JPEG", quality=90))[..., 0]
    rows = np.nonzero(result.max(axis=1) > 0.2)[0]
    cols = np.nonzero(result.max(axis=0) > 0.2)[0]
    assert max(np.ptp(rows), np.ptp(cols)) >= 24


@pytest.mark.parametrize(
    "mode",
    ["RGB", "RGBA", "L", "LA", "P", "CMYK", "I;16", "I", "F", "1"],
)
def test_every_pillow_mode_is_accepted(mode):
    photo = garment_photo()
    if mode in {"I;16", "I"}:
        gray = np.asarray(photo.convert("L"), dtype=np.uint16) * 257
        image = Image.fromarray(gray.astype(np.uint16 if mode == "I;16" else np.int32))
        assert image.mode == mode
    elif mode == "F":
        image = Image.fromarray(np.asarray(photo.convert("L"), dtype=np.float32) / 255.0, mode="F")
    else:
        image = photo.convert(mode)
    image_format = "TIFF" if mode in {"I", "F", "CMYK"} else "PNG"
    result = preprocess_photo(encode(image, image_format))
    assert result.shape == (28, 28, 1)
    assert _garment_centre_brighter_than_corners(result)


def test_exif_rotation_is_applied():
    upright = garment_photo(size=(300, 400))
    # Store the pixels rotated and tell viewers, through EXIF orientation 6, to rotate them back.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated_input = preprocess_photo(encode(stored, "JPEG", quality=95, exif=exif))
    upright_input = preprocess_photo(encode(upright, "JPEG", quality=95))
    assert np.abs(rotated_input - upright_input).mean() < 0.05


def test_large_jpeg_is_decoded_at_reduced_size():
    photo = garment_photo(size=(4000, 3000))
    data = encode(photo, "JPEG", quality=85)
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (256, 256))
    assert image.size[0] <= 1000  # the decoder can scale this file down
    assert preprocess_photo(data).shape == (28, 28, 1)


# A 4.3-megapixel camera file, over the size from which the EXIF preview is used.
CAMERA_SIZE = (2400, 1800)


def _plain_wall(size: tuple[int, int] = CAMERA_SIZE) -> Image.Image:
    return Image.new("RGB", size, (235, 235, 230))


def test_camera_preview_replaces_large_photo():
    # The photo shows a bare wall and only its preview shows the garment, so a garment is found
    # only if the preview was read in place of the photo.
    data = camera_jpeg(_plain_wall(), preview=garment_photo(size=(160, 120)))
    assert prepare_photo(data).garment_found


def test_camera_preview_gives_photo_input():
    photo = garment_photo(size=CAMERA_SIZE)
    from_preview = preprocess_photo(camera_jpeg(photo))
    from_photo = preprocess_photo(encode(photo, "JPEG", quality=90))
    assert np.abs(from_preview - from_photo).mean() < 0.03


def test_camera_preview_follows_photo_orientation():
    # Stored on its side with EXIF orientation 6, like a phone held upright. The preview is stored
    # the same way, and only the preview shows the garment.
    upright = garment_photo(size=(1800, 2400))
    stored_preview = upright.transpose(Image.Transpose.ROTATE_90).resize((160, 120))
    data = camera_jpeg(_plain_wall(), preview=stored_preview, orientation=6)
    from_preview = preprocess_photo(data)
    from_upright = preprocess_photo(encode(upright, "JPEG", quality=90))
    assert np.abs(from_preview - from_upright).mean() < 0.05


def test_mpo_camera_file_uses_its_preview():
    # Pillow opens a JPEG whose MPF data lists a second image as "MPO". The first image is still
    # a JPEG, so its EXIF preview replaces it as in a plain JPEG.
    buffer = io.BytesIO()
    preview = encode(garment_photo(size=(160, 120)), "JPEG", quality=80)
    second_image = _plain_wall((800, 600))
    _plain_wall().save(
        buffer, "MPO", save_all=True, append_images=[second_image], exif=exif_with_preview(preview)
    )
    data = buffer.getvalue()
    assert Image.open(io.BytesIO(data)).format == "MPO"
    assert prepare_photo(data).garment_found


def test_heif_thumbnail_replaces_photo(caplog):
    caplog.set_level(logging.DEBUG, logger="classifier.preprocess")
    photo = garment_photo(size=(800, 600))

    from_thumbnail = preprocess_photo(encode(photo, "HEIF", quality=80, thumbnails=[160]))
    assert "HEIF of 800x600 read from its 160x120 thumbnail" in caplog.text
    caplog.clear()
    from_photo = preprocess_photo(encode(photo, "HEIF", quality=80))
    assert "thumbnail" not in caplog.text

    assert np.abs(from_thumbnail - from_photo).mean() < 0.03


def test_heif_thumbnail_under_working_size_is_ignored(caplog):
    caplog.set_level(logging.DEBUG, logger="classifier.preprocess")
    photo = garment_photo(size=(800, 600))

    preprocess_photo(encode(photo, "HEIF", quality=80, thumbnails=[96]))

    assert "thumbnail" not in caplog.text


def _broken_preview_file() -> bytes:
    # A valid preview cut in half.
    preview = encode(garment_photo(size=(160, 120)), "JPEG", quality=80)
    return encode(_plain_wall(), "JPEG", exif=exif_with_preview(preview[: len(preview) // 2]))


def _png_preview_file() -> bytes:
    preview = encode(garment_photo(size=(160, 120)), "PNG")
    return encode(_plain_wall(), "JPEG", exif=exif_with_preview(preview))


def _preview_past_segment_file() -> bytes:
    # IFD1 gives the preview's length as longer than the EXIF segment.
    exif = bytearray(exif_with_preview(encode(garment_photo(size=(160, 120)), "JPEG")))
    length_at = exif.index(bytes.fromhex("0202")) + 8
    exif[length_at : length_at + 4] = (len(exif) * 2).to_bytes(4, "big")
    return encode(_plain_wall(), "JPEG", exif=bytes(exif))


@pytest.mark.parametrize(
    "make_file",
    [
        pytest.param(
            lambda: camera_jpeg(_plain_wall((1600, 1200)), preview=garment_photo(size=(160, 120))),
            id="photo-under-4-megapixels",
        ),
        pytest.param(
            lambda: camera_jpeg(_plain_wall(), preview=garment_photo(size=(160, 90))),
            id="other-aspect-ratio",
        ),
        pytest.param(
            lambda: camera_jpeg(_plain_wall(), preview=garment_photo(size=(96, 72))),
            id="preview-under-working-size",
        ),
        pytest.param(_broken_preview_file, id="truncated-preview"),
        pytest.param(_png_preview_file, id="png-preview"),
        pytest.param(_preview_past_segment_file, id="length-past-segment"),
    ],
)
def test_unusable_camera_preview_is_ignored(make_file):
    # The photo itself is decoded: a bare wall, in which no garment is found.
    prepared = prepare_photo(make_file())
    assert not prepared.garment_found
    assert prepared.model_input.shape == (28, 28, 1)


def test_transparent_pixels_hide_any_colour():
    garment = garment_photo().convert("RGBA")
    pixels = np.asarray(garment).copy()
    background = (pixels[..., :3] == (235, 235, 230)).all(axis=2)
    results = []
    for hidden_colour in [(0, 0, 0), (255, 0, 0), (255, 255, 255)]:
        variant = pixels.copy()
        variant[background] = (*hidden_colour, 0)
        results.append(preprocess_photo(encode(Image.fromarray(variant, "RGBA"))))
    assert np.array_equal(results[0], results[1])
    assert np.array_equal(results[0], results[2])


def test_animated_gif_uses_first_frame():
    first = garment_photo().convert("P")
    second = Image.new("RGB", (400, 300), (0, 0, 0)).convert("P")
    buffer = io.BytesIO()
    first.save(buffer, "GIF", save_all=True, append_images=[second], duration=100)
    assert np.array_equal(preprocess_photo(buffer.getvalue()), preprocess_photo(encode(first)))


def test_plain_text_is_not_an_image():
    with pytest.raises(ImageRejected) as rejected:
        preprocess_photo(b"hello, this is not an image")
    assert rejected.value.reason is RejectReason.NOT_AN_IMAGE


def test_truncated_jpeg_is_corrupt():
    data = encode(garment_photo(size=(800, 600)), "JPEG", quality=90)
    with pytest.raises(ImageRejected) as rejected:
        preprocess_photo(data[: len(data) // 3])
    assert rejected.value.reason is RejectReason.CORRUPT


def test_tiny_image_is_rejected():
    with pytest.raises(ImageRejected) as rejected:
        preprocess_photo(encode(Image.new("RGB", (8, 8), "white")))
    assert rejected.value.reason is RejectReason.TOO_SMALL


def test_decompression_bomb_is_rejected_from_its_header():
    # A 1-bit PNG of 20000 x 20000 pixels compresses to a few kilobytes.
    bomb = encode(Image.new("1", (20_000, 20_000), 0), optimize=True)
    assert len(bomb) < 200_000
    with pytest.raises(ImageRejected) as rejected:
        preprocess_photo(bomb)
    assert rejected.value.reason is RejectReason.TOO_MANY_PIXELS


def test_fashion_mnist_image_survives_as_product_photo(fashion_mnist_dir):
    from classifier.dataset import load_fashion_mnist

    images = load_fashion_mnist(fashion_mnist_dir).test_images
    differences = []
    for original in images[:20]:
        photo = Image.fromarray(255 - original).resize((448, 448), Image.Resampling.BICUBIC)
        result = preprocess_photo(encode(photo.convert("RGB"), "JPEG", quality=90))[..., 0]
        differences.append(np.abs(result - original / 255.0).mean())
    assert np.mean(differences) < 0.15


def test_large_jpeg_bomb_is_rejected_without_warning():
    # 144 megapixels: above the JPEG budget, and in the range where Pillow only warns.
    data = encode(Image.new("RGB", (12_000, 12_000), (200, 10, 10)), "JPEG", quality=50)
    with pytest.raises(ImageRejected) as rejected:
        preprocess_photo(data)
    assert rejected.value.reason is RejectReason.TOO_MANY_PIXELS


def test_mask_finds_frame_filling_dress():
    # A navy dress hangs from the top of a cream wall to below the photo's bottom edge, so its
    # colour covers much of the border. The mask must still be the dress, not the wall.
    photo = Image.new("RGB", (600, 800), (238, 232, 220))
    pixels = np.asarray(photo).copy()
    rows = np.arange(800)[:, np.newaxis]
    columns = np.arange(600)[np.newaxis, :]
    half_width = 110 + (rows - 80) * 0.25
    dress = (rows >= 80) & (np.abs(columns - 300) <= half_width)
    pixels[dress] = (30, 35, 80)
    prepared = prepare_photo(encode(Image.fromarray(pixels), "JPEG", quality=90))
    assert prepared.garment_found
    mask = prepared.mask > 0.5
    height, width = mask.shape
    expected = np.asarray(Image.fromarray(dress).resize((width, height), Image.Resampling.NEAREST))
    overlap = (mask & expected).sum() / (mask | expected).sum()
    assert overlap > 0.9


@pytest.mark.parametrize("size", [3, 5])
def test_square_filter_matches_scipy(size):
    # The garment mask's opening and closing use this filter in place of SciPy's, so photos must
    # keep the exact masks, and so the exact model inputs, that the shipped model was trained on.
    from scipy import ndimage

    from classifier.preprocess import _square_filter

    rng = np.random.default_rng(size)
    square = np.ones((size, size))
    for _ in range(200):
        height, width = rng.integers(1, 40, size=2)
        mask = rng.random((height, width)) < rng.random()
        eroded = _square_filter(mask, size, np.logical_and)
        dilated = _square_filter(mask, size, np.logical_or)
        assert np.array_equal(eroded, ndimage.binary_erosion(mask, square, border_value=0))
        assert np.array_equal(dilated, ndimage.binary_dilation(mask, square, border_value=0))


def test_fill_holes_matches_scipy():
    # Hole filling replaces SciPy's binary_fill_holes for speed and must give the same masks.
    from scipy import ndimage

    from classifier.preprocess import _fill_holes

    rng = np.random.default_rng(7)
    for _ in range(300):
        height, width = rng.integers(1, 40, size=2)
        mask = rng.random((height, width)) < rng.random()
        assert np.array_equal(_fill_holes(mask), ndimage.binary_fill_holes(mask))


def test_print_in_background_colour_stays_in_mask():
    # A grey square printed on a dark T-shirt has the floor's colour. The mask must still cover
    # it, or the garment would be drawn with a hole.
    photo = Image.new("RGB", (800, 600), (150, 150, 150))
    pixels = np.asarray(photo).copy()
    pixels[150:450, 250:550] = (40, 30, 90)
    pixels[250:350, 350:450] = (150, 150, 150)
    prepared = prepare_photo(encode(Image.fromarray(pixels), "PNG"))
    mask = prepared.mask > 0.5
    height, width = mask.shape
    assert mask[height // 2, width // 2]
    assert not mask[2, 2]


def test_nearest_colour_distance_matches_full_table():
    from classifier.preprocess import _nearest_colour_distance, _squared_distances

    rng = np.random.default_rng(3)
    for count in (1, 2, 3):
        pixels = rng.uniform(0, 255, size=(30, 40, 3)).astype(np.float32)
        colours = rng.uniform(0, 255, size=(count, 3)).astype(np.float32)
        expected = np.sqrt(_squared_distances(pixels, colours).min(axis=-1))
        assert np.array_equal(_nearest_colour_distance(pixels, colours), expected)


def _noisy_flat_photo(level: int, spread: float) -> bytes:
    noise = np.random.default_rng(5).normal(0, spread, (480, 640, 3))
    return encode(Image.fromarray(np.clip(level + noise, 0, 255).astype(np.uint8)))


@pytest.mark.parametrize(
    "photo",
    [
        encode(Image.new("RGB", (640, 480), "white")),
        encode(Image.new("RGB", (640, 480), "black")),
        _noisy_flat_photo(200, 2.0),
    ],
    ids=["white", "black", "grey-with-sensor-noise"],
)
def test_blank_photo_is_rejected(photo):
    with pytest.raises(ImageRejected) as caught:
        reject_blank(prepare_photo(photo))
    assert caught.value.reason is RejectReason.BLANK


def test_garment_photo_is_not_blank():
    reject_blank(prepare_photo(encode(garment_photo())))


def test_faint_gradient_is_not_blank():
    # A gradient over 20 grey levels has no garment, but it is not one flat colour.
    ramp = np.tile(np.linspace(100, 120, 640), (480, 1)).astype(np.uint8)
    reject_blank(prepare_photo(encode(Image.fromarray(ramp).convert("RGB"))))
