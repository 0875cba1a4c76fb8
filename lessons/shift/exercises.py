"""Exercises of the data-and-shift lesson (declared once; `ui.exercises` renders and judges them on the page's facts).

Facts the page hands over, by section:
- "accuracy": `n_classes`, `top1`, `top5` (held-out digits, the standard CNN).
- "shift": `rotation_amounts`, `rotation_top1`, `rotation_top5` (the standard CNN's rotation sweep), `n_test`,
  `n_classes`.
- "turn": `digit_label`, `digit_angle`, `upright_prediction`, `turned_prediction`, `turned_probability`.
- "augmentation": `standard_clean`, `augmented_clean`, `augmented_degrees`, `n_test` (only once the augmented CNN is
  ready; a prediction committed before is judged then).

Pure Python (no torch, no Streamlit): the home page imports this module. The statistics come from
`lessons.shift.reading`, the same rules the page's sentences use.
"""

from __future__ import annotations

from lessons.core.exercises import Exercise, Facts, LessonExercises, Option, Verdict
from lessons.shift.reading import at_chance, chance_level, compare, percent, points, value_at

#: The angle the prediction asks about.
QUARTER_TURN = 90.0
ABOVE_HALF, NOT_ABOVE_HALF = "Yes, above 50 %", "No, 50 % or below"
COSTS, SAME, RAISES = "Yes: it costs clean accuracy", "No measurable change", "It raises clean accuracy"


# ------------------------------------------------------------------------------------------------ 1 · file to tensor
FORGOT_NORMALISATION = Exercise(
    id="shift.forgot_normalisation", section="transforms", kind="choice",
    prompt="A network was trained on normalised images (the last step above). At test time someone forgets that "
           "step and feeds it the plain 0–1 tensor. What happens?",
    options=(
        Option("Nothing: it is the same picture",
               "To you, yes. To the first layer every number has moved: inputs it learnt to see centred on zero now "
               "all sit between 0 and 1, with a different spread."),
        Option("Accuracy can drop a lot, although the picture looks the same to us",
               "Right: the inputs now come from a distribution the network never saw — a data shift that no eye "
               "can spot."),
        Option("It only runs slower",
               "Normalising is one subtraction and one division per number; leaving it out changes the numbers, not "
               "the speed."),
    ),
    correct="Accuracy can drop a lot, although the picture looks the same to us",
    hints=("Look at the grey of the last picture: what number is grey after normalisation, and before it?",
           "The network's weights were fitted to inputs centred on zero with a spread of about one."),
    explanation="A network learns from numbers, not pictures. Skipping (or changing) a preprocessing step shifts "
                "every input away from the training distribution, which is why each model ships with its own "
                "transform — the code block above is part of the model.",
)


# ------------------------------------------------------------------------------------------------ 3 · accuracy
def top5_chance(facts: Facts) -> float:
    """Top-5 accuracy of random guessing on the page's classes, in percent."""
    return 100 * chance_level(int(facts["n_classes"]), 5)


def explain_top5_chance(facts: Facts) -> str:
    """Why top-5 chance is k / classes, and what it means for the page's numbers."""
    n = int(facts["n_classes"])
    return (f"Five different guesses out of {n} classes contain the true class 5 times in {n}: top-5 chance is "
            f"**{percent(chance_level(n, 5))}**, top-1 chance {percent(chance_level(n, 1))}. The network's held-out "
            f"top-5 ({percent(facts['top5'])}) is far above it — but in section 4, read the dashed top-5 curves "
            f"against {percent(chance_level(n, 5))}, not against the dotted {percent(chance_level(n, 1))} line.")


TOP5_CHANCE = Exercise(
    id="shift.top5_chance", section="accuracy", kind="numeric",
    prompt="A \"network\" that ignores the image and names five different digits at random: what **top-5** accuracy "
           "would it score on these ten classes, in percent? (This is the top-5 *chance level*.)",
    answer=top5_chance, tolerance=1.0, unit="%", needs=("n_classes",),
    hints=("Top-1 chance is one guess out of ten classes: 10 %.",
           "With five different guesses, in how many of the ten cases is the true class among them?"),
    explanation=explain_top5_chance,
)


# ------------------------------------------------------------------------------------------------ 4 · the shift
def above_half_at_quarter_turn(facts: Facts) -> str:
    """The option the rotation sweep measured: is top-1 at 90° above 50 %?"""
    turned = value_at(facts["rotation_amounts"], facts["rotation_top1"], QUARTER_TURN)
    return ABOVE_HALF if turned > 0.5 else NOT_ABOVE_HALF


def explain_quarter_turn(facts: Facts) -> str:
    """The measured top-1 and top-5 at 90°, each against its chance level, and the textbook expectation."""
    amounts, n = facts["rotation_amounts"], int(facts["n_test"])
    clean = float(facts["rotation_top1"][0])
    turned = value_at(amounts, facts["rotation_top1"], QUARTER_TURN)
    turned5 = value_at(amounts, facts["rotation_top5"], QUARTER_TURN)
    classes = int(facts["n_classes"])
    chance1, chance5 = chance_level(classes, 1), chance_level(classes, 5)
    where = ("no better than chance" if at_chance(turned, n, chance1) else
             f"{points(abs(turned - chance1), signed=False)} from chance")
    text = (f"Upright the standard CNN scores {percent(clean)}; turned by 90° it scores **{percent(turned)}** top-1, "
            f"{where} ({percent(chance1)}, one digit in {classes}). Its top-5 is {percent(turned5)}, where five random "
            f"guesses score {percent(chance5)}. ")
    if turned > 0.5:
        return text + ("Many textbooks show CNNs failing on turned images; this network kept more than half. Was it "
                       "trained on turned digits?")
    return text + ("The network learnt the digits the way MNIST shows them — upright. Nothing in training asked it "
                   "to recognise a sideways 7, so it never learnt to: a high test score promises accuracy on images "
                   "*like the test images*, no more.")


QUARTER_TURN_PREDICTION = Exercise(
    id="shift.quarter_turn", section="shift", kind="predict",
    prompt="Before the curve appears: take the held-out digits the standard CNN reads so well in section 3 and turn "
           "every one of them by **90°**. Will its top-1 accuracy stay **above 50 %**?",
    options=(Option(ABOVE_HALF, "You expect the network to read digits the way you do, whatever their angle."),
             Option(NOT_ABOVE_HALF, "You expect a network that only ever saw upright digits to lose most of its "
                                    "skill at a quarter turn.")),
    correct=above_half_at_quarter_turn,
    needs=("rotation_amounts", "rotation_top1", "rotation_top5", "n_test", "n_classes"),
    hints=("Every digit the network trained on was upright.",),
    explanation=explain_quarter_turn,
)


def broke_a_seven(facts: Facts) -> Verdict:
    """Right when a 7 the network reads correctly as it is is read as another digit once turned."""
    label, angle = str(facts["digit_label"]), float(facts["digit_angle"])
    upright, turned = str(facts["upright_prediction"]), str(facts["turned_prediction"])
    share = percent(float(facts["turned_probability"]))
    if label != "7":
        return Verdict(False, f"This is a {label}. Pick a **7** in the *Digit* box first.")
    if upright != "7":
        return Verdict(False, f"The network reads this 7 as a {upright} even before it is turned, so rotation is not "
                              "what broke it. Pick another example.")
    if angle % 360 == 0:
        return Verdict(False, "At 0° the digit is untouched and read as a 7. Turn it with the *Angle* slider.")
    if turned == "7":
        return Verdict(False, f"Turned by {angle:g}° it is still read as a 7 ({share} sure). Turn it further, or "
                              "the other way.")
    return Verdict(True, f"Done: turned by {angle:g}°, this 7 is read as a **{turned}** ({share} sure), though it is "
                         "still a 7 to you.")


def explain_seven(facts: Facts) -> str:
    """What breaking a 7 by rotation shows."""
    return (f"Nothing was added or removed: the same strokes, turned by {float(facts['digit_angle']):g}°. The network "
            "matches the patterns it was trained on, at the angles it was trained on. Try a few other 7s: does each "
            "break at the same angle, and into the same digit?")


BREAK_A_SEVEN = Exercise(
    id="shift.break_a_seven", section="turn", kind="task",
    prompt="Make the standard CNN misclassify a **7** using **rotation only**: pick a 7 it reads correctly, then turn "
           "it until it names another digit.",
    check=broke_a_seven,
    needs=("digit_label", "digit_angle", "upright_prediction", "turned_prediction", "turned_probability"),
    hints=("The curve above says how far top-1 has fallen at each angle: start where it is about halfway down.",
           "Negative angles turn clockwise: try both directions, and another example if one 7 holds out."),
    explanation=explain_seven,
)


# ------------------------------------------------------------------------------------------------ 5 · augmentation
def clean_cost(facts: Facts) -> str:
    """The option the page measured: did augmentation cost, keep or raise clean top-1?"""
    order = compare(float(facts["standard_clean"]), float(facts["augmented_clean"]), int(facts["n_test"]))
    return {1: COSTS, 0: SAME, -1: RAISES}[order]


def explain_clean_cost(facts: Facts) -> str:
    """The measured clean top-1 of both networks, against the textbook's promise of free robustness."""
    standard, augmented = float(facts["standard_clean"]), float(facts["augmented_clean"])
    degrees = float(facts["augmented_degrees"])
    outcome = clean_cost(facts)
    numbers = f"Clean, upright digits: standard {percent(standard)}, augmented (±{degrees:g}°) {percent(augmented)}."
    if outcome == COSTS:
        return (f"{numbers} The textbook often sells augmentation as free — or even as a regulariser that helps "
                f"on clean data. Here it cost {points(standard - augmented, signed=False)}: the same small network, "
                "trained for the same epochs, must now tell digits apart at every angle, and part of its capacity "
                "goes on that." + (" At large angles some digits also become ambiguous: a 6 turned by 180° is a 9."
                                   if degrees >= 150 else ""))
    if outcome == SAME:
        return (f"{numbers} Within the noise of {int(facts['n_test']):,} digits, robustness to rotation came for "
                "free here — the textbook hope. Try a larger range of angles: does it still come free?")
    return (f"{numbers} Augmentation even helped on clean digits here: the turned copies acted as extra training data, "
            "the regulariser the textbook describes.")


CLEAN_COST_PREDICTION = Exercise(
    id="shift.clean_cost", section="augmentation", kind="predict",
    prompt="The augmented CNN trains on randomly turned digits. On clean, **upright** held-out digits, will it score "
           "measurably lower than the standard CNN?",
    options=(Option(COSTS, "You expect learning every angle to take something away from upright digits."),
             Option(SAME, "You expect robustness to come for free."),
             Option(RAISES, "You expect the turned copies to work as extra training data.")),
    correct=clean_cost, needs=("standard_clean", "augmented_clean", "augmented_degrees", "n_test"),
    hints=("The augmented network has the same size and the same epochs as the standard one.",),
    explanation=explain_clean_cost,
)


EXERCISES = LessonExercises(
    lesson="data_shift",
    sections=("transforms", "datasets", "accuracy", "shift", "turn", "photo", "augmentation"),
    exercises=(FORGOT_NORMALISATION, TOP5_CHANCE, QUARTER_TURN_PREDICTION, BREAK_A_SEVEN, CLEAN_COST_PREDICTION),
    takeaways=(
        "A network sees numbers, not pictures: decoding, resizing, cropping and normalisation are part of the model.",
        "Read every accuracy against its chance level: 1 in 10 for top-1 on ten classes, 5 in 10 for top-5.",
        "A test score promises accuracy on images like the test images; one controlled change — a turn, a blur, a "
        "background — can take most of it away.",
        "Augmentation buys robustness to the change it was shown, and it can cost accuracy on clean images.",
    ),
    minutes=35,
)
