"""Reports of one analysed drive: events.json, events.csv, timeline.csv and a self-contained report.html."""

from dms.report.summary import NO_CLASSIFIER
from dms.report.writer import write_report, write_session_report

__all__ = ["NO_CLASSIFIER", "write_report", "write_session_report"]
