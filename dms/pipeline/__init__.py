"""The analysis loop and its setup: the one Pipeline, the recipe that builds it, one drive headless."""
