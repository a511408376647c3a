"""What every stage shares: the records between stages, the words for their ids, the user settings
and their checks, the camera profile, the input error, and the side-thread priority. Imports nothing
else of the engine."""
