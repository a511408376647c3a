"""The camera's picture inside black bars: a 4:3 camera recorded or converted into a 16:9 file is
pillarboxed (black columns left and right), a 16:9 one in a 4:3 file letterboxed. The camera
profile's regions (wheel, console) are drawn on the camera's picture, so they are placed on the
picture, not on the whole frame, or a hand on the wheel would be looked for on the bars.

A bar is a band of columns (rows) at the frame's edge in which at least `BAR_DARK_SHARE` of the
pixels are black (grey level <= `BAR_GREY`) on every frame since the last cut: a logo or a timestamp
burnt into a bar covers only a few of its rows. Scalers centre the picture, so bars come in pairs
of the same width (within `BAR_SYMMETRY` of the frame); a pair narrower than `MIN_BAR` of the frame
is ignored, as is a dark edge of the scene on one side only. After a cut (or a seek) the bars are
found again, from the frames that follow it.
"""

from __future__ import annotations

import cv2
import numpy as np

from dms.core.types import PictureArea

BAR_GREY = 24  # of 255: video black is 16, plus coding noise
BAR_DARK_SHARE = 0.9
MIN_BAR = 0.02  # of the frame's width (height)
BAR_SYMMETRY = 0.02  # of the frame's width (height): how much the two bars of a pair may differ


class PictureAreaFinder:
    """Feed the analysis pictures in order; `update` gives the picture area on each."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the bars (after a cut or a seek): they are found again from the next picture."""
        self._content_columns: np.ndarray | None = None
        self._content_rows: np.ndarray | None = None
        self.area = PictureArea()

    def update(self, image: np.ndarray, cut: bool = False) -> PictureArea:
        """The picture area on this picture (BGR, H x W x 3), from every picture since the last cut."""
        if cut:
            self.reset()
        height, width = image.shape[:2]
        if self._content_columns is not None and self._content_columns.shape != (width,):
            self.reset()  # another picture size: another source
        if self._settled():
            return self.area  # picture seen up to every edge: no bar until the next cut
        dark = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) <= BAR_GREY
        columns = dark.mean(axis=0) < BAR_DARK_SHARE
        rows = dark.mean(axis=1) < BAR_DARK_SHARE
        if self._content_columns is None:
            self._content_columns, self._content_rows = columns, rows
        else:
            self._content_columns |= columns
            self._content_rows |= rows
        left, right = _bars(self._content_columns)
        top, bottom = _bars(self._content_rows)
        self.area = PictureArea(left, top, right, bottom)
        return self.area


    def _settled(self) -> bool:
        columns, rows = self._content_columns, self._content_rows
        return columns is not None and bool(columns[0] and columns[-1] and rows[0] and rows[-1])


def _bars(content: np.ndarray) -> tuple[float, float]:
    """(start, end) of the picture along one axis, normalised: inside a pair of bars, else (0, 1)."""
    found = np.flatnonzero(content)
    size = content.size
    if found.size == 0:  # a black picture (a fade): no picture to place anything on yet
        return 0.0, 1.0
    before, after = int(found[0]), size - 1 - int(found[-1])
    if min(before, after) < MIN_BAR * size or abs(before - after) > BAR_SYMMETRY * size:
        return 0.0, 1.0
    return before / size, (size - after) / size
