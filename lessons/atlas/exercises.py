"""Exercises of the Activation-atlas lesson (declared once; `ui.exercises` renders and judges them).

Pure Python on the page's facts (no torch, no Streamlit: the home page reads this module). The facts each section
hands over:

- "atlas": ``grid`` (cells per side) and ``kept`` (how many cells hold enough points to get an icon).
- "inspect": the chosen cell's reading (``cell_class``, ``cell_name``, ``cell_probability``: what the whole network
  calls its icon), the task's target (``target_class``, ``target_name``, ``target_count``: how many icons are read
  as it) and ``kept``.
- "classes": ``class_name`` (the highlighted class) and ``regions`` (sizes of its connected groups of strong cells).
"""

from __future__ import annotations

from lessons.core.exercises import Exercise, Facts, LessonExercises, Option, Verdict

SECTIONS = ("atlas", "inspect", "classes", "weaknesses")

# ------------------------------------------------------------------------------------------ how much of the map is blank


def without_icon_percent(facts: Facts) -> float:
    """The percentage of the grid's cells that hold too few points to get an icon."""
    cells = int(facts["grid"]) ** 2
    return 100.0 * (cells - int(facts["kept"])) / cells


def _blank_explanation(facts: Facts) -> str:
    cells = int(facts["grid"]) ** 2
    blank = cells - int(facts["kept"])
    return (f"{blank} of the {cells} cells ({without_icon_percent(facts):.0f} %) got no icon. The layout puts similar "
            "activations close together, so real images fill some regions densely and leave others sparse or "
            "empty; a cell with too few points has no trustworthy average to grow an icon for. A blank cell is not "
            "something the layer cannot represent — only a place where none of these images' activations landed.")


BLANK_CELLS = Exercise(
    id="atlas.blank_cells", section="atlas", kind="numeric",
    prompt="What percentage of the grid's cells got **no icon** in your atlas?",
    answer=without_icon_percent, tolerance=1.0, unit="%", needs=("grid", "kept"),
    hints=("The caption under the atlas says how many of the grid's cells hold enough points.",
           "Percentage without an icon = 100 × (cells − cells with an icon) / cells, with grid × grid cells."),
    explanation=_blank_explanation,
)

# ------------------------------------------------------------------------------------------ find a cell


def reads_as_target(facts: Facts) -> Verdict:
    """Right when the whole network reads the chosen cell's icon as the target class."""
    target, count, kept = facts["target_name"], int(facts["target_count"]), int(facts["kept"])
    reading = f"{facts['cell_name']} ({float(facts['cell_probability']):.0%})"
    if int(facts["cell_class"]) == int(facts["target_class"]):
        return Verdict(True, f"Found one: the network reads this cell's icon as {reading}.")
    return Verdict(False, f"Not this one: the network reads this cell's icon as {reading}, not {target}. "
                          f"{count} of the {kept} icons are read as {target}.")


def _find_explanation(facts: Facts) -> str:
    target, count, kept = facts["target_name"], int(facts["target_count"]), int(facts["kept"])
    return (f"The network reads {count} of the {kept} icons as {target}. An icon is grown to produce its cell's "
            "average activation at one layer; the rest of the network then reads it like any photo, so an icon is "
            "a picture you can test, not only look at. Do the icons read as the same class sit next to each other "
            "on the atlas, and does the cell list's strongest class (from the real points) agree with the reading?")


FIND_CELL = Exercise(
    id="atlas.find_cell", section="inspect", kind="task",
    prompt="Find a cell whose icon the network classifies as **your target class** (named just above). Pick cells "
           "in the list; under each icon the page says what the network reads it as.",
    check=reads_as_target,
    needs=("cell_class", "cell_name", "cell_probability", "target_class", "target_name", "target_count", "kept"),
    hints=("Look over the atlas in section 1 for icons with the colours and textures of your target class, then pick "
           "that cell in the list (the outlined cell is the one chosen).",
           "Neighbouring cells hold similar average activations: once an icon comes close, try the cells next to "
           "it."),
    explanation=_find_explanation,
)

# ------------------------------------------------------------------------------------------ where a class lives

ONE_REGION = "In one connected region"
SEVERAL_REGIONS = "In several separate regions"
NOWHERE = "Nowhere: no cell raises its logit"


def region_option(sizes: list[int] | tuple[int, ...]) -> str:
    """The option that describes where a class lives, from the sizes of its connected regions of strong cells."""
    if not sizes:
        return NOWHERE
    return ONE_REGION if len(sizes) == 1 else SEVERAL_REGIONS


def _where_it_lives(facts: Facts) -> str:
    return region_option(facts["regions"])


def _regions_explanation(facts: Facts) -> str:
    name, sizes = facts["class_name"], list(facts["regions"])
    if not sizes:
        return (f"No cell of this atlas raises the logit of {name}: none of its images' activations at this layer "
                "speak for it. Pick a class higher in the list (it is sorted by evidence).")
    strong = f"The {sum(sizes)} cells with at least half of the strongest evidence for {name}"
    if len(sizes) == 1:
        return (f"{strong} form one connected region. The usual expectation — a class reached by several visual "
                "routes (parts, textures, contexts) — does not hold for this class here: on this atlas one group of "
                "similar activations carries it. Try other classes, layers or a finer grid.")
    return (f"{strong} form {len(sizes)} separate regions ({', '.join(map(str, sizes))} cells), as the usual "
            "expectation goes: several visual routes (parts, textures, contexts) lead to the same class. Compare "
            "the icons of the regions: what differs?")


CLASS_REGIONS = Exercise(
    id="atlas.class_regions", section="classes", kind="predict",
    prompt="Where on this atlas will the class you highlight **live** — counting the cells with at least half of "
           "its strongest evidence, and side-by-side cells as connected?",
    options=(
        Option(ONE_REGION, "One kind of activation at this layer would carry the class: one place on the map."),
        Option(SEVERAL_REGIONS, "Several kinds of activation would lead to it: different parts, textures or "
                                "contexts of the same class."),
        Option(NOWHERE, "Possible for a class the images never show, but the list is sorted by evidence: the first "
                        "classes have some."),
    ),
    correct=_where_it_lives, needs=("class_name", "regions"),
    hints=("A class can be recognised from different things: a dog from its face, its fur, or the lead in a hand.",),
    explanation=_regions_explanation,
)

# ------------------------------------------------------------------------------------------ what the atlas hides

COMPOSITION = "Whether the network needs the eyes to sit above the nose to see a face"

WHAT_IT_HIDES = Exercise(
    id="atlas.what_it_hides", section="weaknesses", kind="choice",
    prompt="A cell's icon shows fur and an eye. Which question can this atlas **not** answer?",
    options=(
        Option(COMPOSITION,
               "Right: each point is one position of one image, and a cell averages many of them, so the atlas knows "
               "which parts occur, not how they are arranged."),
        Option("Which classes the cell speaks for",
               "The atlas answers this one: every cell is attributed to the classes (section 2's table, section 3's "
               "highlights)."),
        Option("Which real images' activations fell in the cell",
               "The atlas answers this one: section 2 shows the real crops whose activations landed in the cell."),
        Option("Whether activations like this occur in real images at all",
               "The atlas answers this one: every icon stands for the average of real images' activations — cells "
               "without enough of them get no icon."),
    ),
    correct=COMPOSITION,
    hints=("Step 1 of the recipe keeps one activation vector per image, at one random position.",
           "An average over positions from many images keeps *what* was seen, not *where* it was relative to "
           "anything else."),
    explanation="Composition is lost twice: one random position per image, and an average over many images per "
                "cell. The atlas shows which features the layer uses on real images, and the class evidence says "
                "what they push towards, but how parts combine into objects is not in it — for that, look at "
                "whole images with attribution, or test a hypothesis directly (like Carter et al.'s baseball patch).",
)

EXERCISES = LessonExercises(
    lesson="activation_atlas", sections=SECTIONS,
    exercises=(BLANK_CELLS, FIND_CELL, CLASS_REGIONS, WHAT_IT_HIDES),
    takeaways=(
        "An activation atlas maps the activations of many real images at one layer, laid out so that similar ones "
        "sit together.",
        "Each cell's icon is grown by feature inversion to produce the cell's average activation; class evidence "
        "says what each cell pushes the network towards.",
        "A class can live in one place or several: different visual routes can lead to one answer.",
        "The atlas loses composition, is costly, and depends on the layout's knobs: a map for exploring, not a "
        "proof.",
    ),
    minutes=30,
)
