"""F1 of detected cuts against the corpus ground truth. A detection matches a transition when its frame
lies in the transition's span widened by `tolerance` frames (a hard cut's span is its one frame); each
transition and each detection is matched at most once, nearest first."""


def match(gt, detected_frames, tolerance=1):
    spans = [(t["first"] - tolerance, t["last"] + tolerance, t["frame"]) for t in gt["transitions"]]
    pairs = sorted(((abs(d - centre), i, j) for i, (lo, hi, centre) in enumerate(spans)
                    for j, d in enumerate(detected_frames) if lo <= d <= hi))
    used_t, used_d = set(), set()
    for _, i, j in pairs:
        if i not in used_t and j not in used_d:
            used_t.add(i)
            used_d.add(j)
    tp = len(used_t)
    return {"tp": tp, "fp": len(detected_frames) - tp, "fn": len(spans) - tp,
            "missed": [gt["transitions"][i]["frame"] for i in range(len(spans)) if i not in used_t],
            "false": [d for j, d in enumerate(detected_frames) if j not in used_d]}


def f1(counts):
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    if tp == 0:
        return 0.0
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return 2 * precision * recall / (precision + recall)
