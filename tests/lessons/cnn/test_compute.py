"""Unit tests of the Inside-a-CNN lesson's compute."""

from __future__ import annotations

import numpy as np
import torch

from lessons.cnn import compute as inside_cnn
from lessons.core import capture, data, preprocess, registry


def test_preprocessing_steps_follow_the_recipe(lite):
    photo = data.load_photo("coffee")  # 400×600
    steps = inside_cnn.preprocessing_steps(photo, lite.spec)
    assert [s.title.split(" · ")[1] for s in steps] == ["Original", "Resize", "Centre crop", "Normalise"]
    assert steps[0].image is photo
    assert steps[1].image.shape == (256, 384, 3)
    assert steps[2].image.shape == (224, 224, 3) == steps[3].image.shape
    assert all(s.image.dtype == np.uint8 for s in steps)
    # The normalised picture maps the value 0 to mid-grey: a 127.5-valued pixel under mean 0.5/std 0.5 → 127/128.
    grey = np.full((300, 300, 3), 127, np.uint8)
    shown = inside_cnn.preprocessing_steps(grey, lite.spec)[3].image
    assert abs(int(shown[0, 0, 0]) - 128) <= 1


def test_digit_preprocessing_is_grayscale():
    spec = registry.spec_for("digit_cnn")
    steps = inside_cnn.preprocessing_steps(np.zeros((28, 28), np.uint8), spec)
    assert steps[2].image.shape == (28, 28, 3)


def test_first_layer_filters_are_the_stem(lite):
    conv = inside_cnn.first_conv(lite.module)
    assert tuple(conv.weight.shape) == (32, 3, 3, 3)
    tiles = inside_cnn.filter_tiles(conv.weight.numpy(), size=48)
    assert tiles.shape == (32, 48, 48, 3) and tiles.dtype == np.uint8
    # each filter is scaled by its own max |w|: its strongest weight is full intensity (0 or 255)
    assert all(((t == 0) | (t == 255)).any() for t in tiles)


def test_filter_tiles_single_channel_uses_diverging_map():
    weight = np.zeros((2, 1, 5, 5), np.float32)
    weight[0, 0, 0, 0] = 1.0   # positive → red
    weight[1, 0, 0, 0] = -1.0  # negative → blue
    tiles = inside_cnn.filter_tiles(weight, size=5)
    red, blue, mid = tiles[0, 0, 0], tiles[1, 0, 0], tiles[0, 2, 2]
    assert red[0] > 200 and red[2] < 60
    assert blue[2] > 200 and blue[0] < 60
    assert abs(int(mid[0]) - int(mid[2])) < 10  # zero is neutral


def test_strongest_channels_orders_by_mean_activation():
    act = np.zeros((5, 4, 4), np.float32)
    act[3] = 2.0
    act[1] = 1.0
    act[4, 0, 0] = 8.0  # mean 0.5
    assert inside_cnn.strongest_channels(act, 3).tolist() == [3, 1, 4]
    assert inside_cnn.strongest_channels(act, 5).tolist() == [3, 1, 4, 0, 2]


def test_feature_map_tiles_shared_vs_own_scale():
    act = np.stack([np.full((7, 7), 1.0), np.full((7, 7), 2.0), np.linspace(0, 2, 49).reshape(7, 7)])
    shared = inside_cnn.feature_map_tiles(act, np.array([0, 1]), size=14, shared_scale=True)
    assert shared.shape == (2, 14, 14, 3)
    assert shared[0].mean() < shared[1].mean()  # weaker map is darker on a shared scale
    own = inside_cnn.feature_map_tiles(act, np.array([2]), size=7, shared_scale=False)
    assert own[0, 0, 0].sum() < own[0, -1, -1].sum()


def test_normalized_maps_run_from_zero_to_one_between_the_limits():
    act = np.stack([np.full((3, 3), 2.0), np.linspace(-1, 1, 9).reshape(3, 3), np.full((3, 3), 5.0)])
    shared = inside_cnn.normalized_maps(act, np.array([0, 1]), shared_scale=True)
    assert shared.min() == 0.0 and shared.max() == 1.0
    np.testing.assert_allclose(shared[0], 1.0)  # 2.0 is the largest value of the two maps together
    np.testing.assert_allclose(shared[1, 1, 1], 1 / 3)  # 0 lies a third of the way from −1 to 2
    own = inside_cnn.normalized_maps(act, np.array([1, 2]), shared_scale=False)
    assert own[0].min() == 0.0 and own[0].max() == 1.0
    np.testing.assert_array_equal(own[1], 0.0)  # a map that is one value everywhere is drawn darkest
    tiles = inside_cnn.feature_map_tiles(act, np.array([0, 1]), size=3, shared_scale=True)
    colours = inside_cnn.colour_bar_colours(2)  # the bar's two ends are the tiles' darkest and brightest colours
    assert [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in (tiles[1, 0, 0], tiles[0, 0, 0])] == colours


def test_colour_scale_places_zero_on_a_shared_scale():
    signed = inside_cnn.feature_map_colour_scale(np.array([[-1.0, 3.0], [-1.0, 3.0]]), shared_scale=True)
    assert (signed.low, signed.high, signed.shared) == (-1.0, 3.0, True) and signed.zero_at == 0.25
    after_relu = inside_cnn.feature_map_colour_scale(np.array([[0.0, 2.0]]), shared_scale=True)
    assert after_relu.zero_at == 0.0 and str(after_relu.zero_at) == "0.0"
    positive = inside_cnn.feature_map_colour_scale(np.array([[0.5, 2.0]]), shared_scale=True)
    assert positive.zero_at is None  # 0 is below every value shown: not on the bar
    flat = inside_cnn.feature_map_colour_scale(np.array([[0.0, 0.0]]), shared_scale=True)
    assert flat.zero_at is None


def test_colour_scale_per_map_marks_zero_only_where_every_map_agrees():
    relu_maps = inside_cnn.feature_map_colour_scale(np.array([[0.0, 1.0], [0.0, 4.0]]), shared_scale=False)
    assert (relu_maps.low, relu_maps.high, relu_maps.shared) == (0.0, 4.0, False) and relu_maps.zero_at == 0.0
    mixed = inside_cnn.feature_map_colour_scale(np.array([[-1.0, 1.0], [0.0, 4.0]]), shared_scale=False)
    assert mixed.zero_at is None  # 0 is mid-way in one map and black in the other
    with_a_flat_map = inside_cnn.feature_map_colour_scale(np.array([[-2.0, 2.0], [3.0, 3.0]]), shared_scale=False)
    assert with_a_flat_map.zero_at == 0.5  # a map of one value has no zero point to disagree with


def test_colour_scale_of_real_feature_maps_matches_their_values(lite):
    photo = data.load_photo("coffee")
    act = capture.capture(lite, preprocess.prepare_batch([photo], lite.spec), ["blocks.1"])["blocks.1"][0]
    order = inside_cnn.strongest_channels(act, 16)
    shown = act[order]
    scale = inside_cnn.feature_map_colour_scale(inside_cnn.feature_map_limits(act, order, True), True)
    assert scale.low == float(shown.min()) and scale.high == float(shown.max())
    if scale.zero_at is not None:
        assert abs(scale.low + scale.zero_at * (scale.high - scale.low)) < 1e-5


def test_layer_table_reads_the_live_model(lite):
    rows = inside_cnn.layer_table(lite)
    assert [r.name for r in rows] == lite.layer_names
    assert rows[0].output_shape == (32, 112, 112)
    assert rows[-1].output_shape == (1000,) and rows[-1].kind == "linear"
    assert sum(r.parameters for r in rows) == sum(p.numel() for p in lite.module.parameters())


def test_layer_table_for_alexnet_shows_conv_relu_pool():
    alexnet = registry.load_model("alexnet", "random")
    kinds = [r.kind for r in inside_cnn.layer_table(alexnet)]
    assert kinds[:3] == ["conv", "relu", "pool"]
    assert kinds[-1] == "linear"
    shapes = {r.name: r.output_shape for r in inside_cnn.layer_table(alexnet)}
    assert shapes["features.0"] == (64, 55, 55) and shapes["features.12"] == (256, 6, 6)


def test_spatial_layers_are_feature_map_stacks(lite):
    layers = lite.spatial_layers
    assert layers[0] == "stem" and layers[-1] == "head"
    assert "pool" not in layers and "fc" not in layers


def test_deeper_layers_have_coarser_maps_and_more_channels(lite):
    x = preprocess.prepare_batch([data.load_photo("chelsea")], lite.spec)
    acts = capture.capture(lite, x, ["stem", "blocks.10"])
    assert acts["stem"].shape[1] < acts["blocks.10"].shape[1]
    assert acts["stem"].shape[2] > acts["blocks.10"].shape[2]
    assert torch.from_numpy(acts["stem"]).min() >= 0  # after ReLU6


def test_overlay_map_puts_heat_where_the_channel_fires():
    image = np.full((64, 64, 3), 128, np.uint8)
    act = np.zeros((8, 8), np.float32)
    act[0:2, 0:2] = 5.0  # fires in the top-left corner only
    shown = inside_cnn.overlay_map(image, act)
    assert shown.shape == (64, 64, 3) and shown.dtype == np.uint8
    assert shown[:8, :8].mean() > shown[-16:, -16:].mean() + 40
    flat = inside_cnn.overlay_map(np.zeros((28, 28), np.uint8), np.ones((7, 7)))  # constant map, gray image
    assert flat.shape == (28, 28, 3)


# ------------------------------------------------------------------------------------------- computed sentences
def test_classifier_sentence_follows_the_model():
    digits = inside_cnn.classifier_sentence("digits", tuple(str(d) for d in range(10)))
    assert digits == "the 10 classes of handwritten MNIST digits (0, 1, 2, …)"
    photos = inside_cnn.classifier_sentence("imagenet", tuple(f"class {i}" for i in range(1000)))
    assert "1,000 classes of ImageNet photos" in photos and "class 0, class 1" in photos
    assert "ImageNet" not in digits


def test_prediction_note_compares_random_weights_with_chance():
    near = inside_cnn.prediction_note([("6", 0.12), ("3", 0.11)], 10, trained=False)
    assert "close to uniform" in near and "1/10 = 10%" in near and "12%" in near
    far = inside_cnn.prediction_note([("6", 0.60), ("3", 0.2)], 10, trained=False)
    assert "far from uniform (6× chance)" in far and "close to uniform" not in far
    thousand = inside_cnn.prediction_note([("beagle", 0.00102)], 1000, trained=False)
    assert "0.102%" in thousand and "1/1,000 = 0.1%" in thousand


def test_prediction_note_judges_the_true_label_when_known():
    best = [("3", 0.90), ("5", 0.05), ("8", 0.02), ("9", 0.01), ("2", 0.01)]
    right = inside_cnn.prediction_note(best, 10, trained=True, true_label="3")
    assert "**3**, with **90%**" in right and "top-1 correct." in right and "50% of the time" in right
    second = inside_cnn.prediction_note(best, 10, trained=True, true_label="5")
    assert "top-5 correct (rank 2), not top-1" in second
    missing = inside_cnn.prediction_note(best, 10, trained=True, true_label="7")
    assert "not even in the top five" in missing
    photo = inside_cnn.prediction_note([("espresso", 0.96)], 1000, trained=True)
    assert "true label" not in photo and "0.5% of the time" in photo


def test_filter_text_describes_how_the_filters_are_drawn():
    rgb = inside_cnn.filters_text(32, 3, 3, trained=True)
    assert "Mid-grey is a weight of 0" in rgb and "White" not in rgb and "3×3 pixels there is little room" in rgb
    gray = inside_cnn.filters_text(8, 1, 5, trained=True)
    assert "White is a weight of 0, red positive, blue negative" in gray and "grey" not in gray.lower()
    assert "little room" not in gray and "or like noise?" in gray
    assert "These are random weights" in inside_cnn.filters_text(8, 1, 5, trained=False)
    assert "first of its 4 input channels" in inside_cnn.filter_colour_note(4)
    # the note follows the drawing: a three-channel zero filter is mid-grey, a one-channel one white
    zero_rgb = inside_cnn.filter_tiles(np.zeros((1, 3, 3, 3)), size=3)
    zero_gray = inside_cnn.filter_tiles(np.zeros((1, 1, 3, 3)), size=3)
    assert (zero_rgb == 128).all() and (zero_gray > 250).all()


def test_feature_map_scale_note_reads_the_limits_the_maps_were_drawn_with():
    act = np.zeros((3, 4, 4), np.float32)
    act[0, 0, 0], act[1, 1, 1], act[2] = 2.0, -1.0, 0.5
    shared = inside_cnn.feature_map_limits(act, np.array([0, 1]), shared_scale=True)
    np.testing.assert_allclose(shared, [[-1, 2], [-1, 2]])
    note = inside_cnn.feature_map_scale_note(shared, True)
    assert "black = -1.00, pale yellow = 2.00" in note and "Values below 0 occur" in note
    assert "A value of 0 is drawn 33% of the way" in note
    own = inside_cnn.feature_map_limits(act, np.array([0, 2]), shared_scale=False)
    np.testing.assert_allclose(own, [[0, 2], [0.5, 0.5]])
    note = inside_cnn.feature_map_scale_note(own, False)
    assert "its own range" in note and "No value is below 0" in note and "1 of these maps" in note
    assert "A value of 0" not in inside_cnn.feature_map_scale_note(np.array([[0.0, 2.0]]), True)
    tiles = inside_cnn.feature_map_tiles(act, np.array([0, 1]), size=4, shared_scale=True)
    black, brightest = (np.round(np.array(inside_cnn.colormaps["magma"](v)[:3]) * 255) for v in (0.0, 1.0))
    assert (tiles[1, 1, 1] == black).all() and (tiles[0, 0, 0] == brightest).all()


def test_overlay_note_reads_the_maps_own_range():
    assert "dark = 0.00, bright = 3.50" in inside_cnn.overlay_note(np.array([[0.0, 3.5], [1.0, 2.0]]))
    flat = inside_cnn.overlay_note(np.full((4, 4), 0.25))
    assert "0.25 everywhere" in flat and "bright" not in flat


def test_why_it_works_only_credits_training_when_there_was_some():
    trained = inside_cnn.why_it_works(784, 11274, trained=True)
    assert "784-dimensional" in trained and "11,274 numbers" in trained and "gradient descent shaped" in trained
    random = inside_cnn.why_it_works(784, 11274, trained=False)
    assert "random draw" in random and "gradient descent" not in random


def test_first_layer_filters_are_the_first_convolutions_weights(lite):
    weight = inside_cnn.first_layer_filters(lite.module)
    assert isinstance(weight, np.ndarray) and weight.shape == (32, 3, 3, 3)
    np.testing.assert_array_equal(weight, inside_cnn.first_conv(lite.module).weight.detach().numpy())


def test_parameter_count_counts_weights_and_biases():
    layer = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Linear(5, 2))
    assert inside_cnn.parameter_count(layer) == (4 * 3 * 3 * 3 + 4) + (5 * 2 + 2)
    digit = registry.load_model("digit_cnn", "random")
    assert inside_cnn.parameter_count(digit.module) == sum(row.parameters for row in inside_cnn.layer_table(digit))


def test_classifier_input_size_is_what_the_last_stage_reads():
    digit = registry.load_model("digit_cnn", "random")
    last = digit.stage(digit.layer_names[-1]).module
    assert inside_cnn.classifier_input_size(digit) == last.in_features
    alex = registry.load_model("alexnet", "random")
    assert inside_cnn.classifier_input_size(alex) == 4096


def test_default_layer_is_the_third_or_the_last():
    assert inside_cnn.default_layer(["a", "b", "c", "d"]) == "c"
    assert inside_cnn.default_layer(["a", "b"]) == "b"
    assert inside_cnn.default_layer(["only"]) == "only"
