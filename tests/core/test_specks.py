"""Specks of dust far from the drawing are left out of the crop; pieces of the digit never are."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from mnist_core import preprocessing as pp
from mnist_core.specks import without_specks


def page(strokes, size=400, width=14):
    """Dark strokes on a white page, as a scan or a photo of paper is saved."""
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        draw.line(stroke, fill=0, width=width, joint="curve")
    return np.asarray(image).copy()


SEVEN = [[(160, 140), (240, 140), (180, 260)]]


def test_one_dark_pixel_in_a_corner_no_longer_shrinks_the_digit():
    clean = page(SEVEN)
    dusty = clean.copy()
    dusty[20, 30] = 0  # one pixel of dust, far from the 7
    assert pp.preprocess(dusty).cropped.shape == pp.preprocess(clean).cropped.shape
    assert np.array_equal(pp.preprocess(dusty).centred, pp.preprocess(clean).centred)


def test_a_few_specks_around_a_small_digit_are_all_left_out():
    clean = page(SEVEN)
    dusty = clean.copy()
    for row, col in ((10, 380), (390, 15), (300, 350)):
        dusty[row:row + 3, col:col + 3] = 0
    assert np.array_equal(pp.preprocess(dusty).centred, pp.preprocess(clean).centred)


def test_pieces_of_a_digit_stay_however_small_when_they_are_near_it():
    five = [[(230, 120), (170, 120)], [(170, 120), (165, 180), (220, 185), (225, 240), (160, 250)]]
    ink = pp.to_ink(page(five))
    assert without_specks(ink) is ink  # a 5's hat drawn apart is a stroke, not a speck
    broken = page([[(200, 100), (200, 300)]])
    broken[195:205, 190:212] = 255  # a stem with a gap in it
    broken[240:244, 196:204] = 255
    ink = pp.to_ink(broken)
    assert without_specks(ink) is ink
    dotted = page([[(100 + 20 * k, 100), (104 + 20 * k, 100)] for k in range(10)], width=4)
    ink = pp.to_ink(dotted)
    assert without_specks(ink) is ink  # all of it in small pieces: nothing is called dust


def test_a_lone_speck_on_a_blank_page_is_still_just_a_dot():
    blank = np.full((200, 200), 255, np.uint8)
    blank[100:103, 100:103] = 0
    assert pp.preprocess(blank).is_empty
