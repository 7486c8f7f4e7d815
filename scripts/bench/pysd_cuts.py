"""PySceneDetect's side of the shot rows: `python3 pysd_cuts.py IN content|adaptive` runs the same
detection as `scenedetect -i IN detect-content list-scenes -n` (its defaults: OpenCV backend, automatic
downscale, min scene length 0.6 s) and prints the cut frames (first frame of each new scene) as JSON."""
import json
import sys

from scenedetect import AdaptiveDetector, ContentDetector, detect

path, kind = sys.argv[1], sys.argv[2]
detector = ContentDetector() if kind == "content" else AdaptiveDetector()
scenes = detect(path, detector)
print(json.dumps({"cuts": [start.frame_num for start, _ in scenes[1:]]}))
