"""Augmentation aimed at drawn digits, as TensorFlow ops inside tf.data.

Drawings reach the network after MNIST-style preprocessing, so what still
varies is small: slant, rotation, proportions, a pixel or two of centring and
the stroke width. Each batch gets a random affine warp per image and a random
thickening or thinning of its strokes.
"""

from __future__ import annotations

import math

import tensorflow as tf

MAX_ROTATION_DEG = 12.0
MAX_SHEAR = 0.25
SCALE_RANGE = (0.85, 1.1)
ASPECT_RANGE = (0.8, 1.15)
MAX_SHIFT_PX = 2.0
CENTRE = 13.5


def _affine_params(batch: int, seed: tf.Tensor) -> tf.Tensor:
    """Per image, the 8 projective-transform numbers mapping output to input pixels."""
    seeds = tf.random.experimental.stateless_split(seed, 6)
    uniform = lambda i, lo, hi: tf.random.stateless_uniform([batch], seeds[i], lo, hi)
    angle = uniform(0, -MAX_ROTATION_DEG, MAX_ROTATION_DEG) * (math.pi / 180.0)
    shear = uniform(1, -MAX_SHEAR, MAX_SHEAR)
    scale = uniform(2, *SCALE_RANGE)
    aspect = uniform(3, *ASPECT_RANGE)
    dx = uniform(4, -MAX_SHIFT_PX, MAX_SHIFT_PX)
    dy = uniform(5, -MAX_SHIFT_PX, MAX_SHIFT_PX)
    sx, sy = scale * aspect, scale
    cos, sin = tf.cos(angle), tf.sin(angle)
    # forward M = R @ Shear @ S, with Shear = [[1, shear], [0, 1]]
    m00, m01 = cos * sx, (cos * shear - sin) * sy
    m10, m11 = sin * sx, (sin * shear + cos) * sy
    det = m00 * m11 - m01 * m10
    i00, i01, i10, i11 = m11 / det, -m01 / det, -m10 / det, m00 / det
    # input = Minv @ (output - centre - shift) + centre
    ox, oy = CENTRE + dx, CENTRE + dy
    a2 = CENTRE - (i00 * ox + i01 * oy)
    b2 = CENTRE - (i10 * ox + i11 * oy)
    zeros = tf.zeros_like(angle)
    return tf.stack([i00, i01, a2, i10, i11, b2, zeros, zeros], axis=1)


def _stroke_width_jitter(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """A quarter of images get thicker strokes, a quarter thinner, by a random amount."""
    batch = tf.shape(images)[0]
    seeds = tf.random.experimental.stateless_split(seed, 2)
    choice = tf.random.stateless_uniform([batch, 1, 1, 1], seeds[0])
    amount = tf.random.stateless_uniform([batch, 1, 1, 1], seeds[1], 0.3, 1.0)
    dilated = tf.nn.max_pool2d(images, 3, 1, "SAME")
    eroded = -tf.nn.max_pool2d(-images, 3, 1, "SAME")
    thicker = images + amount * (dilated - images)
    thinner = images - amount * 0.7 * (images - eroded)
    out = tf.where(choice < 0.25, thicker, tf.where(choice < 0.5, thinner, images))
    return out


def augment_batch(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Warp and re-stroke a (B, 28, 28, 1) float batch; deterministic for a given seed."""
    batch = tf.shape(images)[0]
    seeds = tf.random.experimental.stateless_split(seed, 2)
    transforms = _affine_params(batch, seeds[0])
    warped = tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=tf.constant([28, 28]),
        interpolation="BILINEAR", fill_mode="CONSTANT", fill_value=0.0,
    )
    return tf.clip_by_value(_stroke_width_jitter(warped, seeds[1]), 0.0, 1.0)
