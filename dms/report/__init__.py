"""Reports of one analysed drive: events.json, events.csv, timeline.csv and a self-contained report.html."""

from dms.report.rows import event_record, timeline_row
from dms.report.summary import NO_CLASSIFIER
from dms.report.writer import write_report, write_session_report

__all__ = ["NO_CLASSIFIER", "event_record", "timeline_row", "write_report", "write_session_report"]
