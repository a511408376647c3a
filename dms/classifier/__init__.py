"""The network stages beside the landmarks: the online TSM classifier per analysed frame, which model
an analysis runs, and the phone and cigarette detector."""
