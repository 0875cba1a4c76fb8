"""The Allen importer: NWB look-alikes with the Brain Observatory's internal layout, resumable checked downloads
from a local server, and a fast, clear failure offline."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
from pathlib import Path
from typing import ClassVar

import h5py
import numpy as np
import pytest

from lessons.cortex import allen_import as ai
from lessons.cortex import data as neural_data

N_IMAGES, N_CELLS, REPEATS, DURATION = 4, 3, 4, 7


def write_nwb(path: Path, seed: int = 0, area_text: str = "VISp", cre: str = "Cux2-CreERT2/wt;Camk2a-tTA/wt",
              ids_start: int = 500) -> dict:
    """A small NWB file laid out like a Brain Observatory three_session_B file; returns the true trial values."""
    rng = np.random.default_rng(seed)
    frames = np.concatenate([rng.permutation(np.arange(-1, N_IMAGES)) for _ in range(REPEATS)])
    starts = 50 + np.arange(len(frames)) * 3 * DURATION  # gaps so each response window sees only its trial
    n_frames = int(starts[-1] + 4 * DURATION)
    values = rng.normal(size=(N_CELLS, len(frames)))
    dff = rng.normal(scale=0.01, size=(N_CELLS, n_frames))
    for t, start in enumerate(starts):
        dff[:, start:start + 2 * DURATION] = values[:, t:t + 1]
    with h5py.File(path, "w") as h5:
        h5[ai.TEMPLATE] = rng.integers(0, 255, size=(N_IMAGES, 18, 23), dtype=np.uint8)
        group = h5.create_group("stimulus/presentation/natural_scenes_stimulus")
        group["data"] = frames.astype(np.float64)[:, None]
        group["frame_duration"] = np.stack([starts, starts + DURATION], axis=1).astype(np.float64)
        group["timestamps"] = starts / 30.0
        h5[ai.DFF] = dff.astype(np.float32)
        h5[f"{ai.PIPELINE}/DfOverF/imaging_plane_1/timestamps"] = np.arange(n_frames) / 30.0
        h5[ai.CELL_IDS] = np.arange(ids_start, ids_start + N_CELLS)
        h5[ai.LOCATION] = np.bytes_(area_text)
        h5[ai.DEPTH] = np.bytes_("175 microns")
        h5[ai.GENOTYPE] = np.bytes_(cre)
        h5[ai.SESSION_TYPE] = np.bytes_("three_session_B")
    return {"frames": frames, "values": values}


def expected_means(truth: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    condition = np.where(truth["frames"] < 0, N_IMAGES, truth["frames"])
    means, even, odd = (np.zeros((N_CELLS, N_IMAGES + 1)) for _ in range(3))
    for c in range(N_IMAGES + 1):
        shown = np.flatnonzero(condition == c)
        means[:, c] = truth["values"][:, shown].mean(axis=1)
        even[:, c] = truth["values"][:, shown[0::2]].mean(axis=1)
        odd[:, c] = truth["values"][:, shown[1::2]].mean(axis=1)
    return means, even, odd


def test_reads_the_natural_scenes_layout(tmp_path):
    truth = write_nwb(tmp_path / "e.nwb")
    data = ai.read_natural_scenes(tmp_path / "e.nwb", experiment_id=7)
    means, even, odd = expected_means(truth)
    np.testing.assert_allclose(data.responses, means, atol=1e-5)
    np.testing.assert_allclose(data.even, even, atol=1e-5)
    np.testing.assert_allclose(data.odd, odd, atol=1e-5)
    assert data.cell_ids.tolist() == [500, 501, 502]
    assert (data.area, data.depth, data.cre_line, data.n_trials) == ("VISp", 175, "Cux2-CreERT2", REPEATS)
    stimuli = ai.read_stimuli(tmp_path / "e.nwb", height=9)
    assert stimuli.shape == (N_IMAGES, 9, 12) and stimuli.dtype == np.uint8  # 9 × 23/18 = 11.5 → 12


def test_reading_errors_are_clear(tmp_path):
    (tmp_path / "junk.nwb").write_bytes(b"not hdf5")
    with pytest.raises(ai.AllenImportError, match="not a readable NWB"):
        ai.read_natural_scenes(tmp_path / "junk.nwb")
    with h5py.File(tmp_path / "a.nwb", "w") as h5:
        h5[ai.SESSION_TYPE] = np.bytes_("three_session_A")
    with pytest.raises(ai.AllenImportError, match="three_session_A"):
        ai.read_natural_scenes(tmp_path / "a.nwb")


def test_bundle_from_two_experiments_validates(tmp_path):
    write_nwb(tmp_path / "a.nwb", seed=0)
    write_nwb(tmp_path / "b.nwb", seed=1, area_text="VISam", cre="Rbp4-Cre_KL100/wt", ids_start=600)
    stimuli = ai.read_stimuli(tmp_path / "a.nwb", height=12)
    exps = [ai.read_natural_scenes(tmp_path / "a.nwb", 1), ai.read_natural_scenes(tmp_path / "b.nwb", 2)]
    bundle = ai.build_bundle(exps, stimuli)
    reloaded = neural_data.load_bundle(neural_data.save_bundle(bundle, tmp_path / "bundle.zip"))
    assert not reloaded.simulated and reloaded.n_cells == 6 and reloaded.blank_condition == N_IMAGES
    assert reloaded.cells["cortical_layer"].tolist() == ["2/3"] * 3 + ["5"] * 3
    assert reloaded.cells["cortical_area"].tolist() == ["VISp"] * 3 + ["VISam"] * 3
    assert "de Vries" in reloaded.citation


def test_layers_from_cre_line_or_depth():
    assert ai.layer_for("Ntsr1-Cre_GN220", 100) == "6"
    assert ai.layer_for("Emx1-IRES-Cre", 175) == "2/3"
    assert ai.layer_for("Sst-IRES-Cre", 375) == "5"
    assert ai.layer_for("Vip-IRES-Cre", 550) == "6"


EXPERIMENTS = [
    {"id": 11, "stimulus_name": "three_session_B", "imaging_depth": 175, "experiment_container_id": 1,
     "targeted_structure": {"acronym": "VISp"},
     "specimen": {"donor": {"transgenic_lines": [
         {"name": "Camk2a-tTA", "transgenic_line_type_name": "transactivator"},
         {"name": "Cux2-CreERT2", "transgenic_line_type_name": "driver"}]}}},
    {"id": 12, "stimulus_name": "three_session_A", "imaging_depth": 175, "targeted_structure": {"acronym": "VISp"}},
    {"id": 13, "stimulus_name": "three_session_B", "imaging_depth": 375, "targeted_structure": {"acronym": "VISl"},
     "cre_line": "Rbp4-Cre_KL100"},
]


def test_experiment_list_keeps_natural_scenes_sessions():
    table = ai.experiment_table(json.dumps(EXPERIMENTS))
    assert table["id"].tolist() == [11, 13]
    assert table["cre_line"].tolist() == ["Cux2-CreERT2", "Rbp4-Cre_KL100"]
    assert ai.choose_experiments(table, ["VISl"])["id"].tolist() == [13]
    with pytest.raises(ai.AllenImportError, match="12"):
        ai.choose_experiments(table, ids=[12])


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}
    etags: ClassVar[dict[str, str]] = {}
    cut_after: ClassVar[dict[str, int]] = {}  # serve only this many bytes once, to simulate a dropped connection

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        name = self.path.lstrip("/")
        body = self.files.get(name)
        if body is None:
            self.send_error(404)
            return
        start = 0
        header = self.headers.get("Range")
        if header:
            start = int(header.split("=")[1].split("-")[0])
            if start >= len(body):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        part = body[start:]
        self.send_header("Content-Length", str(len(part)))
        self.send_header("ETag", self.etags.get(name, f'"{hashlib.md5(body).hexdigest()}"'))
        self.end_headers()
        cut = self.cut_after.pop(name, None)
        self.wfile.write(part if cut is None else part[:cut])


@pytest.fixture()
def server():
    _RangeHandler.files, _RangeHandler.etags, _RangeHandler.cut_after = {}, {}, {}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_download_resumes_a_partial_file_and_checks_md5(server, tmp_path):
    body = np.random.default_rng(0).bytes(3 * ai.CHUNK + 123)
    _RangeHandler.files["big.bin"] = body
    target = tmp_path / "big.bin"
    (tmp_path / "big.bin.part").write_bytes(body[: ai.CHUNK + 7])  # an earlier, interrupted download
    seen = []
    ai.download(server + "big.bin", target, progress=lambda f, m: seen.append(f))
    assert target.read_bytes() == body and not (tmp_path / "big.bin.part").exists()
    assert seen and seen[0] > 0.3 and seen[-1] == pytest.approx(1.0)  # it started from the part file


def test_download_detects_a_corrupt_file_and_a_short_one(server, tmp_path):
    _RangeHandler.files["x.bin"] = b"abc" * 1000
    _RangeHandler.etags["x.bin"] = '"' + "0" * 32 + '"'
    with pytest.raises(ai.AllenImportError, match="corrupt"):
        ai.download(server + "x.bin", tmp_path / "x.bin")
    assert not (tmp_path / "x.bin").exists() and not (tmp_path / "x.bin.part").exists()
    _RangeHandler.files["y.bin"] = b"xyz" * 1000
    _RangeHandler.cut_after["y.bin"] = 100
    with pytest.raises(ai.AllenImportError, match="resume"):
        ai.download(server + "y.bin", tmp_path / "y.bin", control=ai.DownloadControl(connect_timeout_s=2))
    ai.download(server + "y.bin", tmp_path / "y.bin")  # the second run resumes and completes
    assert (tmp_path / "y.bin").read_bytes() == b"xyz" * 1000


def test_cancel_and_deadline_stop_a_download(server, tmp_path):
    _RangeHandler.files["c.bin"] = b"0" * (2 * ai.CHUNK)
    control = ai.DownloadControl()
    control.cancel.set()
    with pytest.raises(ai.AllenImportError, match="cancelled"):
        ai.download(server + "c.bin", tmp_path / "c.bin", control=control)
    with pytest.raises(ai.AllenImportError, match="out of time"):
        ai.download(server + "c.bin", tmp_path / "c.bin", control=ai.DownloadControl(deadline=time.monotonic() - 1))


def test_import_end_to_end_from_a_local_server(server, tmp_path):
    for exp in (11, 13):
        write_nwb(tmp_path / f"{exp}.nwb", seed=exp, ids_start=exp * 100)
        _RangeHandler.files[f"ophys_experiment_data/{exp}.nwb"] = (tmp_path / f"{exp}.nwb").read_bytes()
    _RangeHandler.files["ophys_experiments.json"] = json.dumps(EXPERIMENTS).encode()
    messages = []
    bundle = ai.import_allen(tmp_path / "out", base_url=server, downloads=tmp_path / "dl", image_height=12,
                             progress=lambda f, m: messages.append((f, m)))
    loaded = neural_data.load_bundle(tmp_path / "out")
    assert loaded.n_cells == 6 == bundle.n_cells
    assert loaded.cells["cortical_area"].tolist() == ["VISp"] * 3 + ["VISl"] * 3
    assert loaded.cells["cortical_layer"].tolist() == ["2/3"] * 3 + ["5"] * 3  # from the list's Cre lines
    assert messages[-1][0] == 1.0 and "6 cells" in messages[-1][1]
    assert not list((tmp_path / "dl" / "ophys_experiment_data").glob("*.nwb"))  # NWBs removed after reading
    assert ai.main(["--out", str(tmp_path / "cli.zip"), "--base-url", server, "--downloads", str(tmp_path / "dl"),
                    "--image-height", "12", "--areas", "VISl"]) == 0
    assert neural_data.load_bundle(tmp_path / "cli.zip").n_cells == 3


def test_offline_fails_fast_with_a_clear_message(tmp_path):
    start = time.monotonic()
    with pytest.raises(ai.AllenImportError, match="offline"):
        ai.import_allen(base_url="http://127.0.0.1:9/", downloads=tmp_path, connect_timeout_s=3)
    assert time.monotonic() - start < 5
    assert ai.main(["--out", str(tmp_path / "o"), "--base-url", "http://127.0.0.1:9/",
                    "--downloads", str(tmp_path)]) == 1
