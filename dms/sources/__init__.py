"""Frame sources: video files, image folders and cameras, decoded to the analysis picture (stage 1)."""
