"""The default backend: the packaged MiniLM on onnxruntime, offline, without torch."""

import subprocess
import sys

import numpy as np

from pipeline_assets.search.embedders import LOCAL_DIMENSION, LocalOnnxEmbedder, vector_problems


def test_vectors_are_unit_length_384_floats_and_paraphrases_are_closer_than_unrelated_texts():
    texts = ["cheap running shoes", "affordable sneakers for jogging", "espresso machine", "yoga mat"]
    vectors = LocalOnnxEmbedder().embed(texts)
    assert vectors.dtype == np.float32 and vector_problems(vectors, 4, LOCAL_DIMENSION) == []
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.6
    assert max(similarity[0, 2], similarity[0, 3], similarity[1, 2]) < 0.3


def test_batching_does_not_change_the_vectors():
    # Padding to each batch's longest text must be masked out of the mean.
    texts = ["mat", "a much longer query about waterproof insulated winter jackets for children", "usb c charger"]
    one_batch = LocalOnnxEmbedder(batch_size=16).embed(texts)
    one_by_one = LocalOnnxEmbedder(batch_size=1).embed(texts)
    assert np.allclose(one_batch, one_by_one, atol=2e-3)


def test_empty_input_gives_no_vectors():
    assert LocalOnnxEmbedder().embed([]).shape == (0, LOCAL_DIMENSION)


def test_loading_the_model_imports_neither_torch_nor_sentence_transformers():
    code = (
        "import sys; from pipeline_assets.search.embedders import LocalOnnxEmbedder; LocalOnnxEmbedder().embed(['x']);"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
