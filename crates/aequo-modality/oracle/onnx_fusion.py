"""A multimodal ONNX classifier and its own predictions, for aequo-modality's ONNX test.

scikit-learn's LogisticRegression is trained on scikit-learn's digits (64 pixel intensities in
[0, 1], the image) plus a noisy digit token (10-way one-hot, the text: the true digit with
probability 0.5, else a uniformly drawn one). Its coefficients are written as an ONNX graph with
one input per modality -- `image` [N, 64] and `text` [N, 10], float32 --
`logits = image @ W_image + text @ W_text + b`, `label = ArgMax(logits)`: the same function as
the fitted model, split by modality.

The reference file holds held-out items and, for each item under three inputs (full, text
zeroed, image zeroed), scikit-learn's own `predict` and `decision_function` on the concatenated
features. The Rust test runs the ONNX file through aequo and compares.

    python onnx_fusion.py DIGITS_CSV_GZ OUT_MODEL OUT_REFERENCE
"""

import gzip
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.linear_model import LogisticRegression


def main(digits_path, model_path, reference_path):
    with gzip.open(digits_path, "rt") as f:
        rows = np.array([[float(v) for v in line.split(",")] for line in f if line.strip()])
    image = (rows[:, :64] / 16.0).astype(np.float32)
    label = rows[:, 64].astype(np.int64)
    rng = np.random.default_rng(20240607)
    noisy = np.where(rng.random(len(label)) < 0.5, rng.integers(0, 10, len(label)), label)
    text = np.eye(10, dtype=np.float32)[noisy]
    order = rng.permutation(len(label))
    train, held = order[:1200], order[1200:1400]

    full = np.hstack([image, text]).astype(np.float32)
    clf = LogisticRegression(max_iter=5000, C=1.0)
    clf.fit(full[train], label[train])
    assert list(clf.classes_) == list(range(10))

    coef = clf.coef_.astype(np.float32)  # [10, 74]
    inits = [
        numpy_helper.from_array(np.ascontiguousarray(coef[:, :64].T), "W_image"),
        numpy_helper.from_array(np.ascontiguousarray(coef[:, 64:].T), "W_text"),
        numpy_helper.from_array(clf.intercept_.astype(np.float32), "bias"),
    ]
    nodes = [
        helper.make_node("MatMul", ["image", "W_image"], ["z_image"]),
        helper.make_node("MatMul", ["text", "W_text"], ["z_text"]),
        helper.make_node("Add", ["z_image", "z_text"], ["z_sum"]),
        helper.make_node("Add", ["z_sum", "bias"], ["logits"]),
        helper.make_node("ArgMax", ["logits"], ["label"], axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "digits_late_fusion",
        [
            helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 64]),
            helper.make_tensor_value_info("text", TensorProto.FLOAT, ["N", 10]),
        ],
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10]),
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
        ],
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="aequo-onnx-fusion"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, model_path)

    zeros_text = np.zeros_like(text)
    zeros_image = np.zeros_like(image)
    variants = {
        "full": full,
        "text_removed": np.hstack([image, zeros_text]),
        "image_removed": np.hstack([zeros_image, text]),
    }
    items = []
    for i in held:
        entry = {
            "id": f"d{int(i)}",
            "label": int(label[i]),
            "image": [float(v) for v in image[i]],
            "text": [float(v) for v in text[i]],
        }
        for name, x in variants.items():
            xi = x[i : i + 1].astype(np.float32)
            entry[name] = {
                "prediction": int(clf.predict(xi)[0]),
                "decision": [float(v) for v in clf.decision_function(xi)[0]],
            }
        items.append(entry)
    with open(reference_path, "w") as f:
        json.dump(
            {
                "source": "scikit-learn LogisticRegression on digits + noisy text, onnx_fusion.py",
                "sklearn": __import__("sklearn").__version__,
                "onnx": onnx.__version__,
                "items": items,
            },
            f,
        )


if __name__ == "__main__":
    main(*sys.argv[1:4])
