"""Unit tests of the Inside-a-CNN lesson's compute."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lessons import compute, data, inside_cnn



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
    spec = compute.spec_for("digit_cnn")
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


def test_montage_layout():
    tiles = np.zeros((5, 4, 4, 3), np.uint8)
    grid = inside_cnn.montage(tiles, columns=3, pad=1)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1, 3)
    assert grid[0, 0, 0] == 255 and grid[1, 1, 0] == 0


def test_layer_table_reads_the_live_model(lite):
    rows = inside_cnn.layer_table(lite)
    assert [r.name for r in rows] == lite.layer_names
    assert rows[0].output_shape == (32, 112, 112)
    assert rows[-1].output_shape == (1000,) and rows[-1].kind == "linear"
    assert sum(r.parameters for r in rows) == sum(p.numel() for p in lite.module.parameters())


def test_layer_table_for_alexnet_shows_conv_relu_pool():
    alexnet = compute.load_model("alexnet", "random")
    kinds = [r.kind for r in inside_cnn.layer_table(alexnet)]
    assert kinds[:3] == ["conv", "relu", "pool"]
    assert kinds[-1] == "linear"
    shapes = dict((r.name, r.output_shape) for r in inside_cnn.layer_table(alexnet))
    assert shapes["features.0"] == (64, 55, 55) and shapes["features.12"] == (256, 6, 6)


def test_spatial_layers_are_feature_map_stacks(lite):
    layers = inside_cnn.spatial_layers(lite)
    assert layers[0] == "stem" and layers[-1] == "head"
    assert "pool" not in layers and "fc" not in layers


def test_deeper_layers_have_coarser_maps_and_more_channels(lite):
    x = compute.prepare_batch([data.load_photo("chelsea")], lite.spec)
    acts = compute.capture(lite, x, ["stem", "blocks.10"])
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
