"""Scoring: detected events and cues against hand labels and OpenLABEL annotations, rule-set
conformance and the scripted checks of every threshold."""
