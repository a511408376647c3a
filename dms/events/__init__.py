"""Events: scores -> events (behaviour trackers, visual time-sharing, unresponsive driver) and the
camera health that says when the driver is not monitored."""
