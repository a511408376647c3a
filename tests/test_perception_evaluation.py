"""The label-agreement measure behind the figures in docs/perception.md."""

import pytest

import main
from dms.core.errors import InputError
from dms.core.types import Cue, Cues
from dms.scoring.labels import load_labels
from dms.scoring.perception_evaluation import Agreement, CueRun, agreements


def test_agreement_counts_inside_and_away_and_skips_boundaries(tmp_path):
    labels = tmp_path / "clip.csv"
    labels.write_text(
        "behavior,start_s,end_s,confidence,note\neyes_closed,1.0,2.0,high,x\nphone,0,9,high,y\n"
    )
    run = CueRun()
    for i in range(40):  # 0.0 .. 3.9 s at 10 Hz
        t = i / 10
        closed = 1.0 if 1.2 <= t <= 1.7 else 0.0
        run.times.append(t)
        run.cues.append(Cues(eyes_closed=Cue(closed) if t != 3.5 else Cue.unknown()))
    (result,) = agreements(run, load_labels(labels))  # "phone" has no cue check
    assert result.behaviour == "eyes_closed"
    # inside: 1.1 .. 1.9 (9 frames), closed on 1.2 .. 1.7 (6)
    assert result.inside == (6, 9)
    # away: t < 0.7 (7 frames) and t > 2.3 (16 frames, one unknown)
    assert result.outside == (22, 22)
    assert Agreement.share(result.inside) == pytest.approx(6 / 9)
    assert Agreement.share((0, 0)) is None


def test_bad_label_files_name_the_file(tmp_path):
    missing = tmp_path / "missing.csv"
    with pytest.raises(InputError, match="missing.csv: label file not found"):
        load_labels(missing)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="wrong.csv: label file needs the columns"):
        load_labels(wrong)
    broken = tmp_path / "broken.csv"
    broken.write_text("behavior,start_s,end_s\nyawning,one,2\n")
    with pytest.raises(InputError, match="broken.csv: bad label file"):
        load_labels(broken)


def test_command_line_names_a_folder_without_labelled_clips(tmp_path, capsys):
    assert main.main(["eval-perception", str(tmp_path)]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"error: {tmp_path}: no clip in video/ with a label file in labels/"
    )
