#!/usr/bin/env python3
"""Writes a tiny vision projector GGUF for llama.cpp's multimodal library (libmtmd): a LLaVA-style
("mlp") projector behind a two-block ViT, with seeded random weights. It gives a text-only GGUF
model an image input for tests: images become tokens whose embeddings depend on the pixels. The
weights are random, so what the model makes of them means nothing; only the wiring is real.

    tiny-mmproj.py OUT.gguf [--n-embd 576] [--seed 16]

`--n-embd` must equal the text model's embedding width (576: SmolLM2-135M). The file is about 1 MB
and the same bytes for the same arguments. Needs numpy and PyPI's `gguf` (pip install gguf==0.17.1);
exit status 3 with a one-line reason when `gguf` is not installed.

The layout (what tools/mtmd/clip.cpp reads for projector type "mlp"):
  image 32x32 px in patches of 8 -> 16 patches -> 16 image tokens per image;
  v.patch_embd (conv, no class token), v.position_embd, 2 pre-norm blocks (LLaVA's graph runs all
  but the last block: the penultimate layer's features), then mm.0 (linear) -> GELU -> mm.2 (linear)
  out to the text model's width.
"""
import argparse
import sys

IMAGE = 32      # px, square
PATCH = 8       # px
WIDTH = 64      # the ViT's hidden size
HEADS = 4
FFN = 128       # differs from WIDTH so that clip.cpp's up/down-swap heuristic leaves the FFN alone
BLOCKS = 2
PROJ_HIDDEN = 128
STD = 0.02      # small: no overflow anywhere in the graph


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the GGUF file to write")
    parser.add_argument("--n-embd", type=int, default=576, help="the text model's embedding width (SmolLM2-135M: 576)")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()

    try:
        import numpy as np
        import gguf
    except ImportError as error:
        print(f"tiny-mmproj: {error.name} is not installed (pip install gguf==0.17.1)", file=sys.stderr)
        return 3

    rng = np.random.default_rng(args.seed)

    def normal(*shape):
        return (rng.standard_normal(shape) * STD).astype(np.float32)

    def ones_ish(n):
        return (1.0 + rng.standard_normal(n) * STD).astype(np.float32)

    writer = gguf.GGUFWriter(args.out, "clip")
    writer.add_string("general.name", "vidpipe tiny random projector")
    writer.add_string("general.description", "random weights (seed %d) for tests: not a trained model" % args.seed)
    writer.add_uint32("general.file_type", 0)  # all F32
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_bool("clip.has_audio_encoder", False)
    writer.add_bool("clip.use_gelu", True)
    writer.add_string("clip.projector_type", "mlp")
    writer.add_uint32("clip.vision.image_size", IMAGE)
    writer.add_uint32("clip.vision.patch_size", PATCH)
    writer.add_uint32("clip.vision.embedding_length", WIDTH)
    writer.add_uint32("clip.vision.feed_forward_length", FFN)
    writer.add_uint32("clip.vision.block_count", BLOCKS)
    writer.add_uint32("clip.vision.attention.head_count", HEADS)
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-6)
    writer.add_uint32("clip.vision.projection_dim", args.n_embd)
    writer.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    writer.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])

    # numpy shapes are (rows, columns) = (out, in); gguf stores them reversed, as ggml's ne = [in, out].
    patches = (IMAGE // PATCH) ** 2
    # Stronger than STD so that the pixels, not the position embeddings, dominate each patch's features.
    patch_embd = (rng.standard_normal((WIDTH, 3, PATCH, PATCH)) * 0.1).astype(np.float32)
    tensors = [
        ("v.patch_embd.weight", patch_embd),
        ("v.patch_embd.bias", normal(WIDTH)),
        ("v.position_embd.weight", normal(patches, WIDTH)),
    ]
    for block in range(BLOCKS):
        prefix = f"v.blk.{block}."
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            tensors += [(prefix + name + ".weight", normal(WIDTH, WIDTH)), (prefix + name + ".bias", normal(WIDTH))]
        tensors += [
            (prefix + "ln1.weight", ones_ish(WIDTH)), (prefix + "ln1.bias", normal(WIDTH)),
            (prefix + "ln2.weight", ones_ish(WIDTH)), (prefix + "ln2.bias", normal(WIDTH)),
            (prefix + "ffn_up.weight", normal(FFN, WIDTH)), (prefix + "ffn_up.bias", normal(FFN)),
            (prefix + "ffn_down.weight", normal(WIDTH, FFN)), (prefix + "ffn_down.bias", normal(WIDTH)),
        ]
    tensors += [
        ("mm.0.weight", normal(PROJ_HIDDEN, WIDTH)), ("mm.0.bias", normal(PROJ_HIDDEN)),
        ("mm.2.weight", normal(args.n_embd, PROJ_HIDDEN)), ("mm.2.bias", normal(args.n_embd)),
    ]
    for name, array in tensors:
        writer.add_tensor(name, array)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
