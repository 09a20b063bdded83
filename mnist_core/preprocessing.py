"""Turning a drawing or photo into a 28x28 MNIST-style input.

MNIST digits were cropped to their ink, scaled to fit a 20x20 box keeping the
aspect ratio (anti-aliased), and placed in 28x28 so that their centre of mass
sits in the middle. A network trained on that sees a big, centred, 2-3 px
stroke. Drawings arrive in every size, position and brush width, so we redo the
same normalisation, and additionally bring the stroke width back into MNIST's
range, because a thin brush on a large digit would otherwise shrink to a
hairline and a thick brush on a small digit to a blob. What the paper does
before there is ink to crop (its light, a desk, printed lines, faint pencil)
is undone in :mod:`paper`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import ImageError
from .imageops import bounding_box, morph, resize, stroke_width
from .paper import INK_THRESHOLD, estimates_light, ink_map  # noqa: F401  (estimates_light: part of this module's API)
from .specks import without_specks

BOX = 20
SIZE = 28
# A 12-megapixel phone photo of a digit fits; decoding the largest accepted PNG costs at most 50 MB (4 bytes
# a pixel), and it is shrunk in its own mode before anything becomes float (benchmarks/upload_memory.py).
MAX_UPLOAD_PIXELS = 12_500_000
WORKING_SIDE = 512  # larger images are reduced first: nothing finer matters at 28x28
PALETTE_MODES = ("1", "P", "PA")  # Pillow resamples these with NEAREST only: converted band by band
ORIENTATION_TAG = 0x0112  # EXIF: how the camera was held
ORIENTATIONS = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
                4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270,
                7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}
STRIP_ROWS = 32  # output rows per band when shrinking: each band is converted and copied on its own
WIDE_MODES = ("I", "I;16", "I;16L", "I;16B", "I;16N", "F")  # more than 8 bits a channel
MIN_INK_PIXELS = 6
MOSTLY_INK = 0.8  # a painted-over canvas; a scan cropped tight to a thick digit stretched to its frame: up to ~0.7
MNIST_STROKE = 2.0  # median stroke width in the 20x20 box, measured on MNIST test with stroke_width()


@dataclass(frozen=True)
class Preprocessed:
    """Every intermediate step, so the app can show what the network sees."""

    ink: np.ndarray  # float32 HxW in [0, 1], ink high, at working resolution
    cropped: np.ndarray | None  # ink cropped to its bounding box (after stroke normalisation)
    scaled: np.ndarray | None  # cropped, scaled to fit the 20x20 box
    centred: np.ndarray  # float32 28x28 in [0, 1]: the network's input
    is_empty: bool
    reason: str = ""
    stroke_width: float | None = None

    @property
    def model_input(self) -> np.ndarray:
        """Shape (1, 28, 28, 1), float32: what every preset's model takes."""
        return self.centred.reshape(1, SIZE, SIZE, 1).astype(np.float32)


def open_image(data: bytes) -> Image.Image:
    """Open uploaded bytes safely: refuse non-images, truncated files and bombs."""
    if not data:
        raise ImageError("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_UPLOAD_PIXELS:
                raise ImageError(
                    f"The image is {width}x{height} pixels; images up to "
                    f"{MAX_UPLOAD_PIXELS // 1_000_000} megapixels are accepted."
                )
            image.draft("L", (WORKING_SIDE, WORKING_SIDE))  # JPEGs decode small: fast and light
            image.load()
            orientation = image.getexif().get(ORIENTATION_TAG)
            image = shrink(image)  # the full-size decode can go as soon as this returns
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError("The image is far too large to be a digit (it looks like a decompression bomb).") from exc
    except UnidentifiedImageError as exc:
        raise ImageError("The file is not an image Pillow can read (try PNG or JPEG).") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"The image could not be read: it seems truncated or corrupt ({exc}).") from exc
    if image.width < 1 or image.height < 1:
        raise ImageError("The image has no pixels.")
    turn = ORIENTATIONS.get(orientation)  # a phone's "this way up", applied to the small copy: cheap
    return image.transpose(turn) if turn is not None else image


def shrink(image: Image.Image, side: int = WORKING_SIDE) -> Image.Image:
    """At most ``side`` pixels on the longer side, reduced in the image's own mode (no float copy).

    Converting first would cost 16 bytes a pixel (float32 RGBA): 2 GB for a 170 KB
    PNG of 6300x6300. Reduced here, a large image costs only its decoded self.
    """
    width, height = image.size
    if max(width, height) <= side:
        return image
    factor = side / max(width, height)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return _shrink_in_strips(image, size, _plain_mode(image) if image.mode in PALETTE_MODES else image.mode)


def _plain_mode(image: Image.Image) -> str:
    if image.mode == "1":
        return "L"
    return "RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB"


def _shrink_in_strips(image: Image.Image, size: tuple[int, int], mode: str) -> Image.Image:
    """Box-average a band of rows at a time, converted to ``mode``.

    Pillow converts a whole image before resampling it when it has to (palette
    to RGB, RGBA to premultiplied alpha): a second full-size copy, 50 MB for a
    12-megapixel RGBA picture. Band by band, only one band is ever copied.
    """
    width, height = image.size
    out = Image.new(mode, size)
    for out_top in range(0, size[1], STRIP_ROWS):
        out_bottom = min(out_top + STRIP_ROWS, size[1])
        top, bottom = out_top * height // size[1], out_bottom * height // size[1]
        band = image.crop((0, top, width, max(bottom, top + 1))).convert(mode)
        out.paste(band.resize((size[0], out_bottom - out_top), Image.Resampling.BOX), (0, out_top))
    return out


def to_ink(image: Image.Image | np.ndarray) -> np.ndarray:
    """Any image -> float32 ink map in [0, 1] with ink high, at most WORKING_SIDE px wide.

    Handles canvas RGBA (opaque background either polarity, or transparent
    background where only alpha carries the ink), grayscale and RGB photos.
    """
    array = _as_array(image)
    if array.ndim == 3 and array.shape[2] == 4:
        alpha = array[..., 3]
        if alpha.min() < 0.98:  # transparency present: alpha alone is the ink, any colour
            return _reduce(alpha)
        array = array[..., :3]
    gray = _luminance(array) if array.ndim == 3 else array
    return _reduce(ink_map(gray))


def _as_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """float32 array scaled to [0, 1], channels last."""
    if isinstance(image, Image.Image):
        image = shrink(image)  # before any float conversion: memory stays small for any size
        if image.mode in WIDE_MODES:
            return _wide_to_array(image)
        if image.mode not in ("L", "RGB", "RGBA"):
            image = image.convert(_plain_mode(image))
        array = np.asarray(image)
    else:
        array = np.asarray(image)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise ImageError(f"Expected a grayscale, RGB or RGBA image, got an array of shape {array.shape}.")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.size == 0:
        raise ImageError("The image has no pixels.")
    array = array.astype(np.float32)
    if array.max(initial=0) > 1.0:
        array /= 255.0
    return array


def _wide_to_array(image: Image.Image) -> np.ndarray:
    """16- and 32-bit grayscale (scans, some PNGs) -> [0, 1], by their own range, not clipped at 255."""
    array = np.asarray(image, dtype=np.float32)
    if array.size == 0:
        raise ImageError("The image has no pixels.")
    top = float(array.max(initial=0))
    if image.mode.startswith("I;16") or top > 255:
        scale = 65535.0 if top <= 65535 else top
    else:
        scale = 255.0 if top > 1 else 1.0
    return np.clip(array / scale, 0.0, 1.0)


def display_image(image: Image.Image, side: int) -> Image.Image:
    """An 8-bit copy any browser can show, within ``side`` x ``side`` and at least a few pixels each way.

    Uploads come in modes a JPEG or PNG preview cannot hold (16-bit grayscale,
    CMYK, palettes) and in shapes that would scale to zero rows (a 10000x10 strip).
    """
    picture = shrink(image, side)
    if picture.mode in WIDE_MODES:
        picture = Image.fromarray((_wide_to_array(picture) * 255).round().astype(np.uint8))
    elif picture.mode not in ("L", "RGB", "RGBA"):
        picture = picture.convert(_plain_mode(picture))
    least = min(8, side)
    if picture.width < least or picture.height < least:  # a sliver: centre it on a grey mat
        mat = Image.new(picture.mode, (max(picture.width, least), max(picture.height, least)), "gray")
        mat.paste(picture, ((mat.width - picture.width) // 2, (mat.height - picture.height) // 2))
        picture = mat
    return picture


def _luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _reduce(ink: np.ndarray) -> np.ndarray:
    """Shrink very large images: a 4000 px photo carries nothing more for a 20 px box."""
    return resize(ink.astype(np.float32), WORKING_SIDE / max(ink.shape))


def normalise_stroke(ink: np.ndarray, width: float, bbox: tuple[int, int, int, int]) -> np.ndarray:
    """Bring the stroke width (measured as `width`), as it will be after scaling, close to MNIST's."""
    top, bottom, left, right = bbox
    scale = BOX / max(bottom - top, right - left)
    scaled_width = width * scale
    if scaled_width < MNIST_STROKE / 1.5:
        grow_by = int(round(MNIST_STROKE / scale - width))
        size = max(3, grow_by // 2 * 2 + 1)
        return morph(ink, size, grow=True)
    if scaled_width > MNIST_STROKE * 1.6:
        shrink_by = int(round(width - MNIST_STROKE * 1.3 / scale))
        size = shrink_by // 2 * 2 + 1
        if size >= 3:
            thinned = morph(ink, size, grow=False)
            if (thinned > 0.5).sum() >= (ink > 0.5).sum() * 0.2:  # never erase the digit itself
                return thinned
    return ink


def _fit_box(cropped: np.ndarray) -> np.ndarray:
    """Scale so the longer side is 20 px, keeping the aspect ratio, anti-aliased."""
    height, width = cropped.shape
    factor = BOX / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    method = Image.Resampling.BOX if factor < 1 else Image.Resampling.BILINEAR
    scaled = Image.fromarray(cropped.astype(np.float32), mode="F").resize(size, method)
    return np.clip(np.asarray(scaled, dtype=np.float32), 0.0, 1.0)


def _centre_by_mass(scaled: np.ndarray) -> np.ndarray:
    """Place the box in 28x28 with its centre of mass at the centre, as MNIST did."""
    height, width = scaled.shape
    total = float(scaled.sum())
    rows, cols = np.indices(scaled.shape)
    com_r = float((rows * scaled).sum() / total) if total else height / 2
    com_c = float((cols * scaled).sum() / total) if total else width / 2
    top = int(round(SIZE / 2 - 0.5 - com_r))
    left = int(round(SIZE / 2 - 0.5 - com_c))
    top = min(max(top, 0), SIZE - height)
    left = min(max(left, 0), SIZE - width)
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    out[top:top + height, left:left + width] = scaled
    return out


def scan_frames(frames) -> np.ndarray:
    """Small scanned frames, light ink on dark, cropped to their digit (USPS, box_scans) -> (N, 28, 28) uint8.

    Each goes through :func:`preprocess` on a dark page twice its side, so a digit touching its frame
    is still taken as ink on paper."""
    out = np.zeros((len(frames), SIZE, SIZE), np.uint8)
    for i, frame in enumerate(frames):
        side = frame.shape[0]
        page = np.zeros((2 * side, 2 * side), np.uint8)
        page[side // 2:side // 2 + side, side // 2:side // 2 + side] = frame
        out[i] = np.round(preprocess(page).centred * 255).astype(np.uint8)
    return out


def _empty(ink: np.ndarray, reason: str) -> Preprocessed:
    return Preprocessed(ink, None, None, np.zeros((SIZE, SIZE), np.float32), True, reason)


def preprocess(image: Image.Image | np.ndarray, normalise_strokes: bool = True) -> Preprocessed:
    """The whole pipeline: ink map (without specks far from it), crop, stroke width, 20x20 box, centre of mass."""
    ink = without_specks(to_ink(image))
    mask = ink > 0.5
    bbox = bounding_box(ink > INK_THRESHOLD)
    if bbox is None or mask.sum() < MIN_INK_PIXELS:
        return _empty(ink, "The canvas is empty: draw a digit.")
    if mask.mean() > MOSTLY_INK:
        return _empty(ink, "The canvas is almost entirely ink: clear it and draw a digit.")
    top, bottom, left, right = bbox
    extent = max(bottom - top, right - left)
    width = stroke_width(mask)
    side = max(ink.shape)
    blob = extent < 3 * width and extent < 0.2 * side  # a brush tap: round, about one brush wide
    if extent < 2.2 * width or blob or extent < 0.04 * side:
        return _empty(ink, "That is just a dot: draw a whole digit.")
    region = ink
    if normalise_strokes:  # work on the digit's neighbourhood only: morphology cost scales with area
        margin = max(4, extent // 3)
        row0, col0 = max(top - margin, 0), max(left - margin, 0)
        local = (top - row0, bottom - row0, left - col0, right - col0)
        region = normalise_stroke(ink[row0:bottom + margin, col0:right + margin], width, local)
        top, bottom, left, right = bounding_box(region > INK_THRESHOLD) or local
    cropped = region[top:bottom, left:right]
    scaled = _fit_box(cropped)
    centred = _centre_by_mass(scaled)
    return Preprocessed(ink, cropped, scaled, centred, False, "", width)
