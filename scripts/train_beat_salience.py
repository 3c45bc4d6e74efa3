#!/usr/bin/env python3
"""Train the beat-salience model of libanalyze (beat_salience.hpp) and write its C++ tables.

Data: the annotated performances of ASAP (Foscarin et al., "ASAP: a dataset of aligned scores and
performances for piano transcription", ISMIR 2020) under CORPUS, only the development part (the
composers before Schubert; Schubert, Schumann and Scriabin are held out and never read here). One
example per onset group: the features that `midisift-beat-features` computes with the library's
own code, labelled 1 when the group's first onset lies within 50 ms of an annotated beat.

Model: scikit-learn's HistGradientBoostingClassifier, 10 trees of at most 4 leaves (so at most 3
deep), learning rate 0.3, no early stopping, a fixed seed: the same data give the same tables. The
C++ side walks each tree as a complete tree of depth 3 without branches. Before the final fit the
script prints the out-of-fold AUC over three folds of whole composers (no composer on both sides).

Needs: python3-numpy and python3-sklearn (Debian), a build with bin/midisift-beat-features.
Usage: scripts/train_beat_salience.py [--corpus ../shared/corpus/asap] [--build build]
                                      [--out libanalyze/src/beat_salience_model.inc]
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

FEATURES = 14  # kBeatFeatureCount
DEPTH = 3  # the C++ tables hold every tree complete to this depth
TOLERANCE = 0.05  # seconds: a group within this of an annotated beat is a beat
HELD_OUT_FROM = "Schubert"  # composers from here on, alphabetically, are never read


def performances(corpus):
    """(midi path, annotation path, composer) of every annotated development performance."""
    out = []
    for root, _, files in os.walk(corpus):
        for name in files:
            if not name.endswith("_annotations.txt") or name == "midi_score_annotations.txt":
                continue
            midi = os.path.join(root, name[: -len("_annotations.txt")] + ".mid")
            composer = os.path.relpath(root, corpus).split(os.sep)[0]
            if os.path.exists(midi) and composer < HELD_OUT_FROM:
                out.append((midi, os.path.join(root, name), composer))
    return sorted(out)


def read_features(path):
    """{midi path: (onsets (n,), features (n, FEATURES))} from midisift-beat-features' output."""
    data = open(path, "rb").read()
    out, off = {}, 0
    while off < len(data):
        (length,) = struct.unpack_from("<I", data, off)
        name = data[off + 4 : off + 4 + length].decode()
        off += 4 + length
        (n,) = struct.unpack_from("<I", data, off)
        off += 4
        rec = np.dtype([("s", "<f8"), ("x", "<f4", FEATURES)])
        rows = np.frombuffer(data, dtype=rec, count=n, offset=off)
        off += n * rec.itemsize
        out[name] = (rows["s"].astype(np.float64), rows["x"].astype(np.float64))
    return out


def labels(onsets, annotation):
    beats = np.sort(np.array([float(line.split()[0]) for line in open(annotation) if line.strip()]))
    j = np.searchsorted(beats, onsets)
    d = np.full(len(onsets), np.inf)
    right = j < len(beats)
    d[right] = np.abs(beats[j[right]] - onsets[right])
    left = j > 0
    d[left] = np.minimum(d[left], np.abs(onsets[left] - beats[j[left] - 1]))
    return (d <= TOLERANCE).astype(np.int8)


def model():
    return HistGradientBoostingClassifier(
        max_iter=10, max_leaf_nodes=4, learning_rate=0.3, early_stopping=False, random_state=0
    )


def folds(composers, pieces_of):
    """Three folds of whole composers, the largest first into the lightest fold."""
    f = [[], [], []]
    for c in sorted(composers, key=lambda c: (-pieces_of[c], c)):
        min(f, key=lambda x: sum(pieces_of[y] for y in x)).append(c)
    return f


def complete(tree):
    """A trained tree as (features[7], thresholds[7], values[8]): complete to depth 3, heap order."""
    features, thresholds, values = [0] * 7, [float("inf")] * 7, [0.0] * 8

    def fill(node, slot, depth):
        nd = tree.nodes[node]
        if depth == DEPTH:
            assert nd["is_leaf"], "a tree deeper than {}".format(DEPTH)
            values[slot - 7] = float(nd["value"])
        elif nd["is_leaf"]:  # a shallower leaf fills every slot below it; its splits go left
            fill(node, 2 * slot + 1, depth + 1)
            fill(node, 2 * slot + 2, depth + 1)
        else:
            features[slot] = int(nd["feature_idx"])
            thresholds[slot] = float(nd["num_threshold"])
            fill(int(nd["left"]), 2 * slot + 1, depth + 1)
            fill(int(nd["right"]), 2 * slot + 2, depth + 1)

    fill(0, 0, 0)
    return features, thresholds, values


def float_below(v):
    """The largest float32 not above v: for float32 features, x > it exactly when x > v."""
    if v == float("inf"):
        return np.float32(np.inf)
    f = np.float32(v)
    return f if float(f) <= v else np.nextafter(f, np.float32(-np.inf))


def write_tables(clf, path):
    trees = [complete(tree) for (tree,) in clf._predictors]
    baseline = float(np.ravel(clf._baseline_prediction)[0])
    num = lambda v: ("std::numeric_limits<float>::infinity()" if v == float("inf")
                     else "{!r}F".format(float(float_below(v))))
    with open(path, "w") as out:
        out.write("// Generated by scripts/train_beat_salience.py from ASAP's development performances.\n")
        out.write("// Do not edit: retrain. {} trees, complete to depth {}.\n".format(len(trees), DEPTH))
        out.write("constexpr double kBeatBaseline = {!r};\n".format(baseline))
        out.write("constexpr BeatTree kBeatTrees[] = {\n")
        for f, t, v in trees:
            out.write("    {{{{{}}},\n     {{{}}},\n     {{{}}}}},\n".format(
                ", ".join(map(str, f)), ", ".join(map(num, t)), ", ".join(map(repr, v))))
        out.write("};\n")
    return trees, baseline


def raw_score(x, trees, baseline):
    """The C++ evaluation, for a check against scikit-learn's own."""
    s = baseline
    for f, t, v in trees:
        i = 0
        for _ in range(DEPTH):
            i = 2 * i + 1 + int(np.float32(x[f[i]]) > float_below(t[i]))
        s += v[i - 7]
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--corpus", default=os.path.join(here, "..", "..", "shared", "corpus", "asap"))
    ap.add_argument("--build", default=os.path.join(here, "..", "build"))
    ap.add_argument("--out", default=os.path.join(here, "..", "libanalyze", "src", "beat_salience_model.inc"))
    a = ap.parse_args()
    perf = performances(a.corpus)
    if not perf:
        sys.exit("train_beat_salience: no annotated performances under " + a.corpus)
    tool = os.path.join(a.build, "bin", "midisift-beat-features")
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "features.bin")
        subprocess.run([tool, dump] + [m for m, _, _ in perf], check=True)
        feats = read_features(dump)
    X, y, comp = [], [], []
    for midi, ann, composer in perf:
        onsets, x = feats[midi]
        X.append(x)
        y.append(labels(onsets, ann))
        comp.append(composer)
    pieces_of = {c: comp.count(c) for c in set(comp)}
    print("{} performances, {} onset groups, {:.3f} of them on a beat".format(
        len(perf), sum(len(v) for v in y), np.concatenate(y).mean()))
    oof = [None] * len(perf)
    for fold in folds(pieces_of, pieces_of):
        train = [i for i, c in enumerate(comp) if c not in fold]
        test = [i for i, c in enumerate(comp) if c in fold]
        clf = model().fit(np.concatenate([X[i] for i in train]), np.concatenate([y[i] for i in train]))
        for i in test:
            oof[i] = clf.predict_proba(X[i])[:, 1]
        print("fold {}: AUC {:.3f}".format(", ".join(fold), roc_auc_score(
            np.concatenate([y[i] for i in test]), np.concatenate([oof[i] for i in test]))))
    print("out of fold: AUC {:.3f}".format(roc_auc_score(np.concatenate(y), np.concatenate(oof))))
    clf = model().fit(np.concatenate(X), np.concatenate(y))
    trees, baseline = write_tables(clf, a.out)
    sample = np.concatenate(X)[::997]
    mine = np.array([raw_score(x, trees, baseline) for x in sample])
    theirs = clf.decision_function(sample)
    assert np.allclose(mine, theirs, atol=1e-9), "the tables do not reproduce the model"
    print("wrote {} ({} trees)".format(a.out, len(trees)))


if __name__ == "__main__":
    main()
