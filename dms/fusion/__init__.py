"""Fusion: landmark cues, classifier probabilities and vehicle state -> one score per behaviour."""
