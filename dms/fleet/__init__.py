"""Fleet scale: which drives a batch analyses (manifest), their resume keys, where they run
(local processes or Ray) and the driver process that writes them into the one event log."""
