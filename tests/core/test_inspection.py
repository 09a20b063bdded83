import numpy as np
import pytest

from mnist_core.inspection import Inspector, tile
from mnist_core.presets import PRESETS, build_model


@pytest.fixture(scope="module", params=["logistic", "mlp-128-64", "cnn-quick", "cnn-accurate"])
def inspector(request):
    return Inspector(build_model(request.param))


def drawing():
    image = np.zeros((28, 28), np.float32)
    image[5:23, 12:16] = 1.0
    return image


def test_saliency_of_a_blank_image_is_zero(inspector):
    assert not inspector.saliency(np.zeros((28, 28)), 3).any()


def test_saliency_shape_and_only_on_ink(inspector):
    saliency = inspector.saliency(drawing(), 1)
    assert saliency.shape == (28, 28)
    assert np.abs(saliency).sum() > 0
    assert not saliency[drawing() == 0].any()  # integrated gradients vanish where there is no ink


def test_saliency_sums_to_score_difference():
    """Integrated gradients' completeness: attributions add up to score(x) - score(blank)."""
    inspector = Inspector(build_model("mlp-128-64"))
    x = drawing()
    gap = inspector.logits(x)[0, 4] - inspector.logits(np.zeros((28, 28)))[0, 4]
    assert inspector.saliency(x, 4).sum() == pytest.approx(gap, rel=0.1, abs=0.02)


def test_logits_are_the_models_scores_before_its_softmax():
    model = build_model("cnn-quick")
    x = drawing()
    logits = Inspector(model).logits(x)
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(exp / exp.sum(axis=1, keepdims=True), model(x[None, ..., None]).numpy(), atol=1e-5)


def test_dense_first_layer_weights_reshape_to_28x28():
    kind, weights = Inspector(build_model("mlp-128-64")).first_layer_weights()
    assert kind == "dense" and weights.shape == (128, 28, 28)
    assert Inspector(build_model("logistic")).first_layer_weights()[1].shape == (10, 28, 28)


def test_conv_first_layer_weights_are_filters():
    kind, weights = Inspector(build_model("cnn-quick")).first_layer_weights()
    assert kind == "conv" and weights.shape == (32, 3, 3)


@pytest.mark.parametrize("name", list(PRESETS))
def test_activations_cover_every_layer(name):
    model = build_model(name)
    acts = Inspector(model).activations(drawing())
    assert [a.name for a in acts] == [l.name for l in model.layers]
    assert acts[-1].values.shape == (10,)
    if PRESETS[name].kind == "conv":
        assert acts[0].is_spatial and acts[0].values.shape[:2] in ((26, 26), (28, 28))


def test_tile_lays_out_a_grid():
    grid = tile(np.random.default_rng(0).normal(size=(5, 4, 4)), columns=3)
    assert grid.shape == (2 * 5 - 1, 3 * 5 - 1)
    assert 0 <= grid.min() and grid.max() <= 1
