"""AppTest runs of the activation-maximisation page with small step counts: runs and comparisons, shared links
(settings and kept results), the unit picker through a detour, downloads."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lessons.actmax import exercises as ex
from tests.pages.apptest import (
    answer_exercise,
    commit_prediction,
    exercise_feedback,
    exercise_record,
    finish_jobs,
    image_captions,
    no_exception,
    open_lesson,
    show_hint,
    shown_in_browser,
)

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGE = "pages/activation_maximization.py"
REAL_IMAGES_PNG = "the optimised image (first) next to the real images that drive the unit most as PNG"


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _page(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE).run()
    _ok(at)
    return at


def _captions(at: AppTest) -> list[str]:
    return [img.caption for element in at.get("image") for img in element.proto.imgs]


def _text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_run_then_every_comparison_on_the_pretrained_model():
    at = _page()
    assert any("press **Run**" in i.value for i in at.info)
    at.slider(key="am_steps").set_value(4).run()
    at.toggle(key="am_tv").set_value(True).run()
    at.slider(key="am_w_tv").set_value(500.0).run()
    finish_jobs(at.button(key="am_run").click().run())
    _ok(at)
    assert [h.value for h in at.header] == ["1 · Optimise an image", "2 · Compare"]
    assert any(c.startswith("Result after 4 steps: activation") for c in _captions(at))
    check_real_image_sentence_matches_the_numbers_shown(at)
    assert at.query_params["am_steps"] in (["4"], "4") and at.query_params["am_tv"] in (["True"], "True")
    finish_jobs(at.button(key="am_compare").click().run())
    _ok(at)
    # (d) is a predict-then-run exercise: its runs are in, but their pictures wait for the student's prediction
    assert not any(c.startswith("total variation:") for c in _captions(at))
    assert "Highest activation" not in _text(at)
    commit_prediction(at, ex.PRIOR_HIGHEST.id, ex.GROUP_NONE)
    subheaders = [s.value for s in at.subheader]
    for prefix in ("(a)", "(b)", "(c)", "(d)"):
        assert any(s.startswith(prefix) for s in subheaders), subheaders
    captions = _captions(at)
    assert sum(c.startswith("diverse ") for c in captions) == 4
    assert any(c.startswith("total variation:") for c in captions)
    assert "with the diversity term" in _text(at)
    assert any(verdict in _text(at) for verdict in ("overwhelmed the objective", "other facets it responds to",
                                                      "keep only", "did not climb above their start"))
    # The sentence under (d) names the prior whose caption shows the highest activation.
    priors = ("no prior", "jitter/scale/rotate", "total variation", "L2 decay", "blur every", "centre bias",
              "mean-image start")
    shown = {c.rsplit(": ", 1)[0]: float(c.rsplit(": ", 1)[1]) for c in captions if c.startswith(priors)}
    best = max(shown.values())
    if list(shown.values()).count(best) == 1:
        assert f"Highest activation: **{max(shown, key=shown.get)}**" in _text(at)
    # the prediction was judged on the runs shown (the group of the highest caption), once, and explained
    record = exercise_record(at, ex.PRIOR_HIGHEST.id)
    measured = ex.prior_group(max(shown, key=shown.get))
    assert record.done and record.tries == 1 and record.correct == (measured == ex.GROUP_NONE)
    assert any(m.value.startswith("**Why.** Highest activation:") for m in at.markdown)
    assert any(i.value.startswith("**What to notice.** Same unit, same steps") for i in at.info)


def check_real_image_sentence_matches_the_numbers_shown(at: AppTest) -> None:
    """The sentence quotes the result's activation and the best real image's, and says "more" only when it is."""
    sentence = re.search(r"drives the unit to \*\*(\S+)\*\*, (more|less) than the best real image here "
                         r"\(\*\*(\S+)\*\*, (.+?)\)", _text(at))
    assert sentence, _text(at)
    optimised, direction, best, best_name = sentence.groups()
    captions = _captions(at)
    assert any(c.startswith("Result after") and c.endswith(f"activation {optimised}") for c in captions), captions
    scored = (re.fullmatch(r"(.+): (-?[0-9.]+(?:e[+-]?[0-9]+)?)", c) for c in captions)
    real = {m.group(1): float(m.group(2)) for m in scored if m}
    assert real[best_name] == float(best) == max(real.values()), (real, sentence.group(0))
    assert (float(optimised) >= float(best)) if direction == "more" else (float(optimised) <= float(best))


def test_shared_link_restores_a_neuron_in_the_random_twin_and_ignores_bad_values():
    at = _page(am_model="efficientnet_lite0", am_weights="random", am_target="neuron", am_layer="blocks.6",
               am_unit="7", am_steps="nonsense", am_w_tv="1e9")
    assert at.selectbox(key="am_model").value == "efficientnet_lite0" and at.radio(key="am_weights").value == "random"
    assert at.selectbox(key="am_layer").value == "blocks.6" and at.number_input(key="am_unit").value == 7
    assert at.slider(key="am_steps").value == 64
    assert at.slider(key="am_w_tv").value == 200.0  # out of range in the link: the default weight
    at.slider(key="am_steps").set_value(4).run()
    finish_jobs(at.button(key="am_run").click().run())
    _ok(at)
    assert any(c.startswith("Result after 4 steps") for c in _captions(at))


def test_digits_generator_prior_and_its_comparison_with_pixels():
    at = _page(am_model="digit_cnn", am_target="class", am_class="3", am_method="generator", am_steps="6")
    assert at.radio(key="am_method").value == "generator"
    finish_jobs(at.button(key="am_run").click().run())
    _ok(at)
    assert "sure this image is **3**" in _text(at)
    finish_jobs(at.button(key="am_compare").click().run())
    _ok(at)
    assert any(s.value.startswith("(e)") for s in at.subheader)
    assert any("nearest real digit" in c for c in _captions(at))
    readings = [int(c.value.split("reads it as **")[1][0]) for c in at.caption if "reads it as" in c.value]
    assert len(readings) == 2
    pixel_ok, generator_ok = (reading == 3 for reading in readings)
    expected = {(False, True): "fools the network it was made for", (True, True): "reads both as 3",
                (True, False): "convinces another network less", (False, False): "reads neither as 3"}
    assert expected[(pixel_ok, generator_ok)] in _text(at)
    fresh = open_lesson(PAGE, query=dict(at.query_params))  # the link, opened fresh: every run is kept, no click
    assert any(s.value.startswith("(e)") for s in fresh.subheader)
    assert sorted(image_captions(fresh)) == sorted(image_captions(at))


def test_evolution_on_a_class_explains_fooling_images():
    at = _page(am_model="digit_cnn", am_target="class", am_class="1", am_method="evolution", am_steps="5")
    finish_jobs(at.button(key="am_run").click().run())
    _ok(at)
    assert any("fooling images" in i.value for i in at.info)
    # the task below (b) is judged on the page's own run: evolution, but of a class score, not a channel
    answer_exercise(at, ex.BEAT_REAL_IMAGES.id)
    right, text = exercise_feedback(at, ex.BEAT_REAL_IMAGES.id)
    assert not right and "a channel" in text and exercise_record(at, ex.BEAT_REAL_IMAGES.id).tries == 1
    # The generator prior is offered only for the digit CNN: switching network falls back to gradient ascent.
    at.selectbox(key="am_model").set_value("efficientnet_lite0").run()
    _ok(at)
    assert "generator" not in at.radio(key="am_method").options


def test_a_shared_link_restores_every_prior_and_setting_and_writes_them_back():
    link = {"am_model": "digit_cnn", "am_weights": "random", "am_target": "channel", "am_method": "pixel",
            "am_layer": "conv1", "am_unit": "3", "am_transforms": "False", "am_tv": "True", "am_w_tv": "750.5",
            "am_blur": "True", "am_w_blur": "9", "am_centre": "True", "am_w_centre": "40.0", "am_steps": "12",
            "am_seed": "42", "am_diversity": "35.0"}
    at = open_lesson(PAGE, query=link)
    expected = {"am_model": "digit_cnn", "am_weights": "random", "am_target": "channel", "am_method": "pixel",
                "am_layer": "conv1", "am_unit": 3, "am_transforms": False, "am_tv": True, "am_w_tv": 750.5,
                "am_blur": True, "am_w_blur": 9, "am_centre": True, "am_w_centre": 40.0, "am_steps": 12,
                "am_seed": 42, "am_diversity": 35.0}
    assert {key: at.session_state[key] for key in expected} == expected
    assert {key: at.query_params[key] for key in link} == link
    assert at.number_input(key="am_unit").value == 3 and at.slider(key="am_w_blur").value == 9
    at.toggle(key="am_tv").set_value(False).run()  # a change goes back into the link
    assert at.query_params["am_tv"] == "False"


def test_a_detour_to_a_class_keeps_the_layer_and_channel():
    at = open_lesson(PAGE)
    at.selectbox(key="am_layer").set_value("blocks.10").run()
    at.number_input(key="am_unit").set_value(12).run()
    at.radio(key="am_target").set_value("class").run()
    classes = next(s for s in at.selectbox if s.label.startswith("Class"))
    classes.set_value(309).run()  # a run in class mode: the layer and channel widgets stay hidden
    at.radio(key="am_target").set_value("channel").run()
    no_exception(at)
    layer, channel = at.selectbox(key="am_layer"), at.number_input(key="am_unit")
    assert (shown_in_browser(layer), shown_in_browser(channel)) == ("blocks.10", 12)
    assert (at.session_state["am_layer"], at.session_state["am_unit"]) == ("blocks.10", 12)
    assert at.query_params["am_layer"] == "blocks.10" and at.query_params["am_unit"] == "12"
    at.radio(key="am_target").set_value("class").run()  # and the class survives the way back
    assert shown_in_browser(next(s for s in at.selectbox if s.label.startswith("Class"))) == 309


def test_a_link_to_a_finished_run_shows_it_at_once_and_an_unfinished_one_waits_for_run():
    link = {"am_model": "digit_cnn", "am_target": "channel", "am_layer": "conv2", "am_unit": "9", "am_steps": "7",
            "am_seed": "321"}
    first = open_lesson(PAGE, query=link)
    assert any("press **Run**" in i.value for i in first.info)  # never run: the page waits for the button
    assert not [c for c in image_captions(first) if c.startswith("Result after")]
    finish_jobs(first.button(key="am_run").click().run())
    no_exception(first)
    shown = [c for c in image_captions(first) if c.startswith("Result after 7 steps")]
    assert shown
    fresh = open_lesson(PAGE, query=dict(first.query_params))  # someone opens the shared link: no click
    assert [c for c in image_captions(fresh) if c.startswith("Result after 7 steps")] == shown
    assert not any("press **Run**" in i.value for i in fresh.info)
    assert fresh.button(key="am_run").label == "Run"  # still there, to run again
    assert offered_downloads(fresh) >= {"the optimised image as PNG", "the optimised image as NPY",
                                        "the objective over the steps as PNG", "the objective over the steps as CSV",
                                        REAL_IMAGES_PNG}


def offered_downloads(at: AppTest) -> set[str]:
    """What the page's download buttons offer, from their help texts ("the optimised image as PNG")."""
    return {b.proto.help.removeprefix("Download ") for b in at.get("download_button")}


def test_the_jitter_and_blur_question_answers_wrong_then_hints_then_right_without_running_anything():
    at = open_lesson(PAGE)
    exercise = ex.JITTER_AND_BLUR
    answer_exercise(at, exercise.id, "They make it brighter and more colourful")
    right, text = exercise_feedback(at, exercise.id)
    assert not right and text == exercise.option("They make it brighter and more colourful").feedback
    assert not exercise_record(at, exercise.id).done and "**Why.**" not in _text(at)
    show_hint(at, exercise.id)
    hints = [c.value for c in at.caption if c.value.startswith("Hint ")]
    assert hints == [f"Hint 1: {exercise.hints[0]}"]
    show_hint(at, exercise.id)
    hints = [c.value for c in at.caption if c.value.startswith("Hint ")]
    assert hints == [f"Hint 1: {exercise.hints[0]}", f"Hint 2: {exercise.hints[1]}"]
    answer_exercise(at, exercise.id, exercise.correct)
    assert exercise_feedback(at, exercise.id)[0]
    record = exercise_record(at, exercise.id)
    assert record.done and record.correct and record.tries == 2 and record.hints == 2
    assert f"**Why.** {exercise.explanation}" in _text(at)
    assert any("press **Run**" in i.value for i in at.info)  # nothing was run
