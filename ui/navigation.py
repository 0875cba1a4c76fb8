"""The course map: which lesson pages exist, in which section, in order. Pure data (no Streamlit import).

`app.py` builds its `st.navigation` from this list, and the tests parametrise over it, so a lesson added here is
routed, listed on the home page and tested in the browser without further wiring.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SECTIONS: tuple[str, ...] = ("Foundations", "Inside CNNs", "Neuroscience tools for networks", "Brains")


@dataclass(frozen=True)
class Lesson:
    """One lesson page of the course."""

    section: str
    path: str  # page script, relative to the repository root
    title: str
    icon: str
    summary: str  # one line for the home page
    nav_title: str = ""  # short title for the sidebar (the full title when it fits)

    @property
    def url_path(self) -> str:
        """The page's URL path: its file name without `.py`.

        It must equal the file name: until `st.navigation` has run once in a server process, Streamlit resolves a
        direct link by the `pages/` folder's file names, so any other path shows "Page not found" to the first
        visitor after a restart.
        """
        return Path(self.path).stem

    @property
    def sidebar_title(self) -> str:
        """What the sidebar shows: the short title when the lesson has one."""
        return self.nav_title or self.title


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        section="Foundations",
        path="pages/linear_classifier.py",
        title="Linear classifier",
        icon=":material/show_chart:",
        summary="Draw a line between two clouds of points, then watch gradient descent find it — on the data and "
        "on the loss landscape. Then bend space with a small network where no line will do.",
    ),
    Lesson(
        section="Foundations",
        path="pages/convolution.py",
        title="Convolution",
        icon=":material/blur_on:",
        summary="Slide a kernel along a signal and over a photo: blur, edges, sharpening, your own kernels, "
        "template matching and where it fails, and histograms of oriented gradients.",
    ),
    Lesson(
        section="Inside CNNs",
        path="pages/inside_cnn.py",
        title="Inside a CNN",
        icon=":material/layers:",
        summary="Run a real pretrained network on a photo: preprocessing, top-5 guesses, learned filters, "
        "feature maps layer by layer.",
    ),
    Lesson(
        section="Inside CNNs",
        path="pages/data_shift.py",
        title="Data, transforms and the generalization gap",
        nav_title="Data and generalization",
        icon=":material/swap_horiz:",
        summary="From file to tensor, data sets and top-1/top-5, then rotate, tilt, blur and re-background the "
        "test digits and watch a 97\u00a0% model fail — and what augmentation fixes.",
    ),
    Lesson(
        section="Neuroscience tools for networks",
        path="pages/topographic_maps.py",
        title="Topographic maps: a brain scan of a layer",
        nav_title="Topographic maps",
        icon=":material/grid_on:",
        summary="Give a layer's units positions so that alike units sit together, colour the sheet by class like "
        "an fMRI scan, and score six layouts by how smooth and blobby their maps are.",
    ),
    Lesson(
        section="Neuroscience tools for networks",
        path="pages/activation_maximization.py",
        title="What does a neuron want to see?",
        nav_title="Activation maximisation",
        icon=":material/visibility:",
        summary="Optimise an image until one unit fires hard: priors that make it natural, evolution, a learned "
        "digit generator, and how the result compares with real photos and an untrained twin.",
    ),
    Lesson(
        section="Neuroscience tools for networks",
        path="pages/activation_atlas.py",
        title="Activation atlas",
        icon=":material/map:",
        summary="Thousands of image crops, one activation each, laid out by similarity and averaged on a grid; "
        "every cell's average grown into an icon: a map of what a layer sees, where each class lives, and what "
        "the map hides.",
    ),
    Lesson(
        section="Neuroscience tools for networks",
        path="pages/attribution.py",
        title="Which pixels made the network decide?",
        nav_title="Attribution",
        icon=":material/highlight:",
        summary="Saliency, SmoothGrad, Grad-CAM, integrated gradients and occlusion side by side, a deletion curve "
        "that scores them, and sanity checks on randomised networks.",
    ),
    Lesson(
        section="Brains",
        path="pages/mouse_cortex.py",
        title="Predicting mouse visual cortex",
        nav_title="Mouse visual cortex",
        icon=":material/neurology:",
        summary="Predict neurons of six mouse visual areas from every layer of a network: held-out scores against "
        "a shuffled null, trained vs random weights, noise ceilings and representational similarity.",
    ),
    Lesson(
        section="Brains",
        path="pages/inception_loop.py",
        title="What does a mouse neuron want to see?",
        nav_title="Closing the loop",
        icon=":material/cycle:",
        summary="Turn a cell's fitted readout into a differentiable model, synthesise the image it says the cell likes "
        "most, then show that image to the (simulated) cell itself: does it beat the best photo, and when?",
    ),
    Lesson(
        section="Brains",
        path="pages/model_zoo.py",
        title="Is a better classifier a better brain model?",
        nav_title="Model zoo",
        icon=":material/pets:",
        summary="Score a zoo of networks against the same cells, one point each: do better ImageNet classifiers, "
        "deeper networks or more features predict cortex better, what does training buy — and when can't we tell?",
    ),
)

HOME_TITLE = "From Zero to CNNs to Brains"


def lesson_by_path(path: str) -> Lesson:
    """Return the lesson whose page script is `path`."""
    for lesson in LESSONS:
        if lesson.path == path:
            return lesson
    raise KeyError(path)
