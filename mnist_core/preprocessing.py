"""Turning a drawing or photo into a 28x28 MNIST-style input.

MNIST digits were cropped to their ink, scaled to fit a 20x20 box keeping the
aspect ratio (anti-aliased), and placed in 28x28 so that their centre of mass
sits in the middle. A network trained on that sees a big, centred, 2-3 px
stroke. Drawings arrive in every size, position and brush width, so we redo the
same normalisation, and additionally bring the stroke width back into MNIST's
range, because a thin brush on a large digit would otherwise shrink to a
hairline and a thick brush on a small digit to a blob.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import ImageError

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
INK_THRESHOLD = 0.2
CLEAR_INK = 0.15  # ink this much darker than the paper (or lighter, on dark paper) is read as it is
FAINTEST_INK = 0.04  # fainter than this is nothing, whatever the grain: ten grey levels of an 8-bit picture
SIGNAL_TO_GRAIN = 6.0  # faint ink must rise this far above the paper's grain (3x3 average): grain's peaks reach ~3.5
GRAIN_CUT = 5.0  # in faint ink, what rises less than this many grain deviations is paper (one pixel in millions)
PAGE_CONTRAST = 0.2  # a page brighter than the desk around it by at least this
PAGE_AREA, PAGE_FILL = 0.15, 0.75  # a page is this much of the picture, and this much of it is bright paper
PAGE_SQUARE = 0.88  # a page is a rectangle however it lies: its area over its smallest bounding rectangle's
PAGE_STROKE = 0.15  # what is darker on a page is written: strokes narrower than this share of the page
PAGE_INSET = 0.04  # the page is cut out this far inside its edge
RULE_SPAN = 0.85  # ink across more than this share of a row (or column) may be a line of the paper
RULE_LEVEL = 0.6  # such a line fainter than this (the pen's darkness is 1) is printed on the paper, not written
GRAIN_CONTRAST = 0.5  # grain can pass for ink only on a page whose darkest "ink" is fainter than this
GRAIN_SPECKS, GRAIN_SHARE = 3, 0.02  # this many lone pixels, and this share of the ink, is grain, not strokes
UNEVEN_PAPER = 0.12  # the paper's brightness varying more than this across a page: estimated place by place
PAPER_SIDE = 128  # the light across a page is smooth: it is estimated on a copy this small
PAGE_SIDE = 24  # smaller images are frames cropped to their digit (16 px in USPS), never a photographed page
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
    return _reduce(_without_rules(_normalise_gray(_page_on_a_desk(gray))))


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


def _border(gray: np.ndarray) -> np.ndarray:
    """The pixels around the image's edge: mostly paper in a drawing, a scan or a photo."""
    return np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])


def _page_on_a_desk(gray: np.ndarray) -> np.ndarray:
    """A photo of a page lying on a darker desk: the page, with the desk painted over in its paper; else as it is.

    The picture's edge is taken for the paper, so with a desk all around it the
    page itself would be the ink, and the digit on it lost. A page is a bright
    region shaped like a rectangle, however it lies (:data:`PAGE_SQUARE`), mostly
    bright (:data:`PAGE_FILL`), a good part of the picture (:data:`PAGE_AREA`),
    with narrow darker strokes on it (:data:`PAGE_STROKE`). A bold light digit on
    a dark board is none of that: a 7 or an 8 is no rectangle, a bar has nothing
    on it (or specks of its chalk, not strokes), and a square 0's hole is no stroke.
    """
    desk = float(np.median(_border(gray)))
    if float(gray.max()) - desk < PAGE_CONTRAST:
        return gray  # nothing much brighter than the edge: every canvas and evenly lit scan stops here
    small = _resize(gray, PAPER_SIDE / max(gray.shape))
    paper = float(np.percentile(small, 90))
    if paper - desk < PAGE_CONTRAST:
        return gray  # the picture's edge is as bright as its brightest part: no desk around a page
    bright = small > (desk + paper) / 2
    page = _filled_outline(bright)
    if page.sum() < PAGE_AREA * small.size or not PAGE_FILL <= bright[page].mean() < 1.0:
        return gray
    top, bottom, left, right = bounding_box(page)
    written = page[top:bottom, left:right] & ~bright[top:bottom, left:right]
    if (stroke_width(written) > PAGE_STROKE * min(bottom - top, right - left)
            or _lone_pixels(written) > 0.5 * np.count_nonzero(written) or _squareness(page) < PAGE_SQUARE):
        return gray  # what is darker is no writing (a wide hole, or specks in chalk), or the shape is no page
    inset = 2 * max(1, round(PAGE_INSET * min(bottom - top, right - left))) + 1  # off the page's edge and its shadow
    inner = _resize(_morph(page.astype(np.float32), inset, grow=False), gray.shape) > 0.5
    box = bounding_box(inner)
    if box is None or min(box[1] - box[0], box[3] - box[2]) < PAGE_SIDE:
        return gray
    painted = np.where(inner, gray, float(np.median(gray[inner])))  # the page is mostly paper: its median is paper
    return painted[box[0]:box[1], box[2]:box[3]]


def _filled_outline(mask: np.ndarray) -> np.ndarray:
    """The region between the first and last True pixel of each row, and of each column: a page with its ink."""
    height, width = mask.shape
    first_col, last_col = mask.argmax(axis=1), width - 1 - mask[:, ::-1].argmax(axis=1)
    first_row, last_row = mask.argmax(axis=0), height - 1 - mask[::-1].argmax(axis=0)
    rows, cols = np.indices(mask.shape)
    across = (cols >= first_col[:, None]) & (cols <= last_col[:, None]) & mask.any(axis=1)[:, None]
    down = (rows >= first_row[None, :]) & (rows <= last_row[None, :]) & mask.any(axis=0)[None, :]
    return across & down


def _squareness(mask: np.ndarray) -> float:
    """The region's area over that of the smallest rectangle around it, turned any way: 1 for a rectangle."""
    ys, xs = np.nonzero(mask)
    smallest = float("inf")
    for angle in np.radians(np.arange(0.0, 90.0, 3.0)):
        along, across = xs * np.cos(angle) + ys * np.sin(angle), ys * np.cos(angle) - xs * np.sin(angle)
        smallest = min(smallest, (np.ptp(along) + 1) * (np.ptp(across) + 1))
    return float(len(xs) / smallest)


def estimates_light(gray: np.ndarray) -> bool:
    """Whether this grey image (0 to 1) has its paper's light estimated place by place (:func:`_paper`)."""
    border = _border(gray)
    return not isinstance(_paper(gray, border, _light_paper(gray, border)), float)


def _light_paper(gray: np.ndarray, border: np.ndarray) -> bool:
    """Dark ink on light paper, or light ink (chalk, a dark canvas, a negative) on dark paper?

    Paper brighter than mid-grey is light paper. Darker paper is a dim scan or
    photo when what differs from it most is darker still, and dark paper when it
    is lighter; the extremes are taken after a 3x3 average, so a speck of dust
    cannot decide.
    """
    paper = float(np.median(border))
    if paper > 0.5:
        return True
    smooth = _box_mean(gray, 3)
    return paper - float(smooth.min()) > float(smooth.max()) - paper


def _normalise_gray(gray: np.ndarray) -> np.ndarray:
    """Make ink high and background 0, whatever the polarity, lighting or paper."""
    border = _border(gray)
    light_paper = _light_paper(gray, border)  # dark ink on light paper
    background = _paper(gray, border, light_paper)
    ink = background - gray if light_paper else gray - background
    contrast = _top(ink)
    if contrast >= CLEAR_INK:  # ink that stands out plainly: every canvas and nearly every scan
        clear = np.clip(ink / contrast, 0.0, 1.0)
        clear[clear < INK_THRESHOLD] = 0.0  # paper texture and JPEG noise are not ink
        if contrast >= GRAIN_CONTRAST or not _grain(clear):
            return clear
    return _faint_ink(ink)


def _without_rules(ink: np.ndarray) -> np.ndarray:
    """The ink without the paper's own lines: rules of lined paper, a form's printed box.

    Such a line runs across most of the page, straight along a row or a column,
    and is printed fainter than the pen. Each row (then column) that ink covers
    for more than :data:`RULE_SPAN` of its length loses its median (the line's own
    darkness; a stroke crossing it keeps the rest). A run of such rows counts only
    if all of it stays fainter than :data:`RULE_LEVEL`: the bar of a 7 cropped
    tight to its frame spans it too, but is as dark as the pen, and stays; and
    in a frame cropped to its digit, whose pen reaches the frame, nothing is
    taken away (a light stroke of a tight frame can span it too).
    """
    if min(ink.shape) < PAGE_SIDE or np.count_nonzero(_border(ink) >= RULE_LEVEL) >= 2 or not ink.any():
        return ink  # a frame cropped to its digit (its pen reaches the edge, or it is 16 px as in USPS), or nothing
    out = ink
    for axis in (1, 0):  # along rows (ruled lines), then along columns (a box's sides)
        covered = np.count_nonzero(out, axis=axis) > RULE_SPAN * out.shape[axis]
        if not covered.any():
            continue
        lines = np.flatnonzero(covered)
        level = np.zeros(covered.shape, np.float32)
        level[lines] = np.median(np.take(out, lines, axis=1 - axis), axis=axis)
        for run in np.split(lines, np.flatnonzero(np.diff(lines) > 1) + 1):
            if level[run].max() >= RULE_LEVEL:
                level[run] = 0.0  # as dark as the pen: a stroke, not the paper's line
        if level.any():
            out = np.clip(out - (level[:, None] if axis == 1 else level[None, :]), 0.0, 1.0)
            out[out < INK_THRESHOLD] = 0.0
    return out


def _top(ink: np.ndarray) -> float:
    """The ink's darkness: its 99.9th percentile, a maximum that one stray pixel cannot set."""
    sample = ink[::3, ::3] if ink.size > 20_000 else ink  # without sorting every pixel
    return float(np.percentile(sample, 99.9)) if sample.size > 1000 else float(ink.max())


def _grain(ink: np.ndarray) -> bool:
    """Whether grain passed for ink: specks of one pixel, touching no other (a stroke's pixels always touch)."""
    box = bounding_box(ink > 0.5)
    if box is None:
        return False
    top, bottom, left, right = box
    mask = ink[top:bottom, left:right] > 0.5
    specks = _lone_pixels(mask)
    return specks >= GRAIN_SPECKS and specks >= GRAIN_SHARE * int(np.count_nonzero(mask))


def _lone_pixels(mask: np.ndarray) -> int:
    """How many True pixels touch no other (of their eight neighbours): specks, where strokes touch."""
    padded = np.pad(mask, 1).view(np.uint8)
    neighbours = np.zeros(mask.shape, np.uint8)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if dy != 1 or dx != 1:
                neighbours += padded[dy:dy + mask.shape[0], dx:dx + mask.shape[1]]
    return int(np.count_nonzero(mask & (neighbours == 0)))


def _faint_ink(ink: np.ndarray) -> np.ndarray:
    """Ink that barely stands out (light pencil) or grain: kept only where a stroke rises clearly above the grain.

    A stroke is several pixels wide and grain is not, so averaging over 3x3 pixels
    thins the grain about threefold and leaves the stroke. What remains is ink only
    if it rises :data:`SIGNAL_TO_GRAIN` times above the grain that is left (most of
    a page is paper, so the grain is the median deviation); a blank page, however
    grainy, is then empty, and a pencil line a tenth of the paper's brightness is read.
    """
    smooth = _box_mean(ink.astype(np.float32), 3)
    level = float(np.median(smooth))
    grain = 1.4826 * float(np.median(np.abs(smooth - level)))  # the grain's standard deviation, robustly
    signal = _top(smooth) - level
    if signal < max(FAINTEST_INK, SIGNAL_TO_GRAIN * grain):
        return np.zeros_like(ink)  # nothing stands out from the background
    faint = np.clip((smooth - level) / signal, 0.0, 1.0)
    faint[faint < max(INK_THRESHOLD, GRAIN_CUT * grain / signal)] = 0.0
    return faint


def _paper(gray: np.ndarray, border: np.ndarray, light_paper: bool) -> float | np.ndarray:
    """The paper's brightness under the ink: one value for an evenly lit page, a smooth field for a shadowed one.

    A phone photo of a page is often lit from one side or shadowed in a corner.
    Measured against one paper value, the darker side of the page becomes ink
    and the digit disappears into it. So when the paper's own brightness varies
    by more than :data:`UNEVEN_PAPER` across the page (and no ink reaches its
    edge, as it does in a digit cropped tight), it is estimated place by
    place: a grey closing with a window a third of the page (wider than any
    pen stroke, so the strokes vanish from it), smoothed, and lowered to the
    paper's typical brightness (most of a page is paper). An evenly lit
    page (every canvas, and scans within a few percent) keeps the single value,
    so its input is exactly what it always was.
    """
    flat = float(np.median(border))
    if float(np.subtract(*np.percentile(border, [95, 5]))) < UNEVEN_PAPER or min(gray.shape) < PAGE_SIDE:
        return flat  # an evenly lit page, or a small crop of one: scanning pipelines' frames are 16 to 32 px
    field = _light_field(gray, light_paper)
    if field is None:
        return flat
    if _cropped_tight(gray, border, flat, light_paper):
        # ink reaching the edge, or a shadow: if the light field explains all of it, the page is blank,
        # and all of it is paper; otherwise a digit cropped tight keeps the single value
        return gray if _only_shade(gray, field, light_paper) else flat
    return field


def _light_field(gray: np.ndarray, light_paper: bool) -> np.ndarray | None:
    """The paper's brightness place by place (see :func:`_paper`), or None if it hardly varies."""
    paper = _resize(gray if light_paper else 1.0 - gray, PAPER_SIDE / max(gray.shape))
    field = _smooth_closing(paper)
    field = field - float(np.median(field - paper))  # the closing follows the paper's brightest grain: back to its middle
    low, high = np.percentile(field, [2, 98])
    if high - low < UNEVEN_PAPER:
        return None
    field = _resize(field, gray.shape)
    return field if light_paper else 1.0 - field


def _only_shade(gray: np.ndarray, field: np.ndarray, light_paper: bool) -> bool:
    """Whether nothing stands out from the light field: what looked like ink reaching the edge was a shadow.

    A digit cropped tight keeps the single paper value because its border varies with its ink; but a blank
    page with a shadow falling across its edge looks the same to that rule, and its shadow was read as a 1.
    (Writing too faint to stand out from the field, on such a page, is lost with it.)
    """
    return _top(field - gray if light_paper else gray - field) < CLEAR_INK


def _cropped_tight(gray: np.ndarray, border: np.ndarray, flat: float, light_paper: bool) -> bool:
    """A digit cropped tight to its frame: its ink reaches the edge, or nearly spans the frame one way.

    Its border varies because of the ink, not the light, and its strokes can be
    as wide as a third of the frame, too wide to vanish from a closing.
    """
    ink = float(np.percentile(gray, 0.1 if light_paper else 99.9))
    near = 0.25 * abs(flat - ink)  # this close to the darkest ink is ink, however the paper is lit
    if np.count_nonzero(np.abs(border - ink) < near) >= 2:
        return True
    box = bounding_box(np.abs(gray - ink) < near)
    if box is None:
        return False
    top, bottom, left, right = box
    height, width = gray.shape
    margin = max(2, max(height, width) // 16)  # an anti-aliased edge is a few pixels short of the frame
    return (top <= margin and bottom >= height - margin) or (left <= margin and right >= width - margin)


def _smooth_closing(paper: np.ndarray) -> np.ndarray:
    """Grey closing with a window a third of the image (strokes narrower than it vanish), then a smoothing."""
    size = max(paper.shape) // 3 | 1
    brightest = _window_max(_window_max(paper, size, 0), size, 1)
    closed = 1.0 - _window_max(_window_max(1.0 - brightest, size, 0), size, 1)
    return _box_mean(closed, size)


def _resize(array: np.ndarray, to: float | tuple[int, int]) -> np.ndarray:
    """A float image scaled by a factor (never up), or to a (height, width) shape; the light field is smooth."""
    if isinstance(to, float):
        if to >= 1:
            return array
        to = (max(1, round(array.shape[0] * to)), max(1, round(array.shape[1] * to)))
    if tuple(to) == array.shape:
        return array
    resample = Image.Resampling.BOX if to[0] < array.shape[0] else Image.Resampling.BILINEAR
    image = Image.fromarray(array.astype(np.float32)).resize((to[1], to[0]), resample)
    return np.asarray(image, dtype=np.float32)


def _box_mean(array: np.ndarray, size: int) -> np.ndarray:
    """Mean over a centred size x size window, edges mirrored (a cheap smoothing by running sums)."""
    radius = size // 2
    padded = np.pad(array, radius, mode="reflect" if min(array.shape) > radius else "edge")
    for axis in (0, 1):
        sums = np.cumsum(padded, axis=axis, dtype=np.float64)
        sums = np.concatenate([np.zeros_like(np.take(sums, [0], axis=axis)), sums], axis=axis)
        n = padded.shape[axis] - 2 * radius
        padded = (np.take(sums, np.arange(size, size + n), axis=axis)
                  - np.take(sums, np.arange(0, n), axis=axis)) / size
    return padded.astype(np.float32)


def _reduce(ink: np.ndarray) -> np.ndarray:
    """Shrink very large images: a 4000 px photo carries nothing more for a 20 px box."""
    return _resize(ink.astype(np.float32), WORKING_SIDE / max(ink.shape))


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask: area divided by half the perimeter.

    For a stroke of length L and width w, area = wL and perimeter ~ 2L, so
    this is w for long strokes, which digits are.
    """
    area = int(mask.sum())
    if area == 0:
        return 0.0
    padded = np.pad(mask, 1)
    edges = np.count_nonzero(padded[1:, :] != padded[:-1, :]) + np.count_nonzero(padded[:, 1:] != padded[:, :-1])
    return 2.0 * area / max(edges, 1)


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the True pixels, bottom and right exclusive; None when there are none."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _window_max(array: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Max over a centred window of `size` along one axis, zero outside, in O(n log size).

    Pillow's MaxFilter costs O(size^2) per pixel (60 ms for a thin brush
    on a 280 px canvas); doubling windows make it well under a millisecond.
    """
    radius = (size - 1) // 2
    moved = np.moveaxis(array, axis, -1)
    n = moved.shape[-1]
    padded = np.pad(moved, [(0, 0)] * (moved.ndim - 1) + [(radius, radius)])
    span, table = 1, padded
    while span * 2 <= size:
        table = np.maximum(table[..., :-span], table[..., span:])
        span *= 2
    out = np.maximum(table[..., :n], table[..., size - span: size - span + n])
    return np.moveaxis(out, -1, axis)


def _morph(ink: np.ndarray, size: int, grow: bool) -> np.ndarray:
    """Thicken (square max filter) or thin (min filter) strokes by size-1 pixels."""
    if grow:
        return _window_max(_window_max(ink, size, 0), size, 1)
    inverted = np.pad(1.0 - ink, size, constant_values=1.0)  # outside the image is background
    return (1.0 - _window_max(_window_max(inverted, size, 0), size, 1))[size:-size, size:-size]


def normalise_stroke(ink: np.ndarray, width: float, bbox: tuple[int, int, int, int]) -> np.ndarray:
    """Bring the stroke width (measured as `width`), as it will be after scaling, close to MNIST's."""
    top, bottom, left, right = bbox
    scale = BOX / max(bottom - top, right - left)
    scaled_width = width * scale
    if scaled_width < MNIST_STROKE / 1.5:
        grow_by = int(round(MNIST_STROKE / scale - width))
        size = max(3, grow_by // 2 * 2 + 1)
        return _morph(ink, size, grow=True)
    if scaled_width > MNIST_STROKE * 1.6:
        shrink_by = int(round(width - MNIST_STROKE * 1.3 / scale))
        size = shrink_by // 2 * 2 + 1
        if size >= 3:
            thinned = _morph(ink, size, grow=False)
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
    """The whole pipeline: ink map, crop, stroke width, 20x20 box, centre of mass."""
    ink = to_ink(image)
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
