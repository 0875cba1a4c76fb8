"""The closing-the-loop numbers and sentences: each computed conclusion flips when the numbers do."""

from __future__ import annotations

import numpy as np

from lessons.cortex import loop


def outcome(mei, natural, other, held_out=None) -> loop.LoopOutcome:
    mei, natural, other = (np.asarray(v, float) for v in (mei, natural, other))
    n = len(mei)
    return loop.LoopOutcome(np.arange(n), np.asarray(held_out if held_out is not None else np.linspace(0, 1, n)),
                            mei, natural, other, mei, natural)


def test_win_shares_count_cells_beating_their_best_natural_image():
    found = outcome([2, 1, 3, 0.5], [1, 1, 1, 1], [0.5, 2, 0.1, 0.2])
    assert found.wins.tolist() == [True, False, True, False] and found.win_share() == 0.5
    assert found.control_share() == 0.25
    assert np.allclose(found.gain(), [2, 1, 3, 0.5])


def test_the_control_is_always_another_cell():
    for count in (2, 3, 17, 50):
        other = loop.other_cell(count, seed=count)
        assert sorted(other.tolist()) == list(range(count)) and (other != np.arange(count)).all()


def test_the_loop_sentence_says_own_meis_win_only_when_they_beat_the_control():
    rng = np.random.default_rng(0)
    natural = np.ones(30)
    strong = outcome(natural * 2 + rng.random(30), natural, natural * 0.5)
    said = loop.loop_sentence(strong, "VISp")
    assert "for 30 of 30 cells (100%)" in said and "does better than that" in said
    weak = outcome(natural * 0.5 + rng.random(30) * 0.01, natural, natural * 0.5 + rng.random(30) * 0.01)
    said = loop.loop_sentence(weak, "VISp")
    assert "no most exciting image beat" in said and "does not do clearly better" in said and said.endswith("?")


def test_the_dependence_is_stated_only_when_the_better_predicted_cells_gain_more():
    held = np.linspace(0, 1, 40)
    rising = outcome(1 + held * 2, np.ones(40), np.ones(40) * 0.5, held)
    said = loop.dependence_sentence(loop.dependence(rising))
    assert "The closer the model, the better the loop works" in said
    flat = outcome(1.5 + np.sin(np.arange(40)) * 0.01, np.ones(40), np.ones(40) * 0.5, held)
    said = loop.dependence_sentence(loop.dependence(flat))
    assert "not clearly related" in said and said.endswith("?")
    falling = outcome(3 - held * 2, np.ones(40), np.ones(40) * 0.5, held)
    assert "unexpected" in loop.dependence_sentence(loop.dependence(falling))
    assert "Too few cells" in loop.dependence_sentence(loop.dependence(outcome([2, 1], [1, 1], [0, 0])))


def test_the_receptive_field_sentence_flips_with_the_correlations():
    held = np.linspace(0, 1, 10)
    assert "has found where" in loop.receptive_field_sentence(np.full(10, 0.8), held)
    weak = loop.receptive_field_sentence(np.full(10, 0.3), held)
    assert "weak" in weak and weak.endswith("?") and "has found" not in weak
    none = loop.receptive_field_sentence(np.full(10, 0.02), held)
    assert "do not match" in none and "118 photos" in none and none.endswith("?")
    assert loop.receptive_field_sentence(np.array([]), np.array([])) == "No receptive field was estimated."


def test_orientedness_tells_a_grating_from_a_texture_of_all_orientations():
    yy, xx = np.mgrid[0:72, 0:92]
    grating = 0.5 + 0.3 * np.sin(2 * np.pi * (xx * np.cos(0.6) + yy * np.sin(0.6)) / 8)
    noise = np.random.default_rng(0).random((72, 92))
    assert loop.orientedness(grating) > 0.8 and loop.looks_like(grating) == "a grating"
    assert loop.orientedness(noise) < 0.2 and loop.looks_like(noise) == "a texture"
    spot = np.zeros((72, 92))
    spot[30:36, 40:46] = np.random.default_rng(1).random((6, 6))
    assert loop.contrast_spread(spot) < 0.05 and loop.looks_like(spot) == "a localised pattern"
    assert loop.contrast_spread(noise) > 0.3
    assert loop.orientedness(np.full((8, 8), 0.5)) == 0.0 and loop.contrast_spread(np.full((8, 8), 0.5)) == 0.0


def test_the_mei_notice_flips_when_a_photo_beats_the_mei_in_the_models_eyes():
    assert "favourite by construction" in loop.mei_notice(0.3, 0.2)
    beaten = loop.mei_notice(0.1, 0.2)
    assert "did not even beat" in beaten and "favourite" not in beaten


def test_one_cells_result_is_called_only_beyond_two_standard_errors():
    assert "**the MEI won**, by 5.0 standard errors" in loop.one_cell_sentence("7", 0.6, 0.1, 0.1, 50)
    lost = loop.one_cell_sentence("7", 0.1, 0.6, 0.1, 50)
    assert "**the best photo won**" in lost and "MEI won" not in lost
    close = loop.one_cell_sentence("7", 0.15, 0.1, 0.1, 50)
    assert "too small to call with 50 trials" in close and "won" not in close
    assert "the MEI won" in loop.one_cell_sentence("7", 0.2, 0.1, 0.0, 50)  # noise-free: any difference counts
