"""The DMS engine: sources, perception, telemetry, fusion, events, store, reports. No Qt here."""
