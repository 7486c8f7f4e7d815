"""Writes a Whisper model as the two ONNX graphs sherpa-onnx runs (encoder; decoder with a
self-attention KV cache and the cross-attention weights of the alignment heads), node by node
with onnx.helper, from the numpy weights ct2_whisper.load returns. No torch.

The contract (input/output names, shapes, metadata keys) is sherpa-onnx's Whisper model:
  encoder  mel (N, n_mels, T)  ->  n_layer_cross_k, n_layer_cross_v (n_text_layer, N, T/2, d)
  decoder  tokens (N, n) int64, in_n_layer_self_k_cache / _v (n_text_layer, N, n_text_ctx, d),
           n_layer_cross_k, n_layer_cross_v, offset (1,) int64
        -> logits (N, n, n_vocab), out_n_layer_self_k_cache / _v,
           cross_attention_weights (N, n_alignment_heads, n, T/2)
T may be shorter than 3000 frames: the positional embedding is sliced to T/2.

Linear layers are int8 (per-output-channel symmetric weights, activations quantized at run
time by com.microsoft.DynamicQuantizeMatMul) unless --fp32; the token embedding is stored once,
as int8, and serves both the input lookup and the output projection.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ct2_whisper import WhisperModel

OPSET = 17
IR_VERSION = 8


class GraphBuilder:
    def __init__(self, quantize: bool):
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.quantize = quantize
        self._counter = 0

    def name(self, hint: str) -> str:
        self._counter += 1
        return f"{hint}_{self._counter}"

    def const(self, array: np.ndarray, hint: str = "c") -> str:
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(array if array.ndim == 0 else np.ascontiguousarray(array), name))
        return name

    def i64(self, values, hint: str = "i") -> str:
        return self.const(np.array(values, dtype=np.int64), hint)

    def f32(self, values, hint: str = "f") -> str:
        return self.const(np.array(values, dtype=np.float32), hint)

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, outputs: int | list[str] = 1,
           domain: str = "", **attrs) -> str | list[str]:
        if isinstance(outputs, int):
            out_names = [self.name(hint or op_type.lower()) for _ in range(outputs)]
        else:
            out_names = outputs
        self.nodes.append(helper.make_node(op_type, inputs, out_names, name=self.name(op_type), domain=domain, **attrs))
        return out_names[0] if len(out_names) == 1 else out_names

    # --- layers -----------------------------------------------------------------------------

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray | None, hint: str) -> str:
        """x @ weight.T + bias; weight is (out, in) as CTranslate2 stores it."""
        w = weight.astype(np.float32).T  # (in, out)
        if self.quantize:
            q, scale = quantize_columns(w)
            inputs = [x, self.const(q, hint + "_wq"), self.const(scale, hint + "_ws"), ""]
            if bias is not None:
                inputs.append(self.const(bias.astype(np.float32), hint + "_b"))
            return self.op("DynamicQuantizeMatMul", inputs, hint, domain="com.microsoft")
        y = self.op("MatMul", [x, self.const(w, hint + "_w")], hint)
        if bias is not None:
            y = self.op("Add", [y, self.const(bias.astype(np.float32), hint + "_b")], hint)
        return y

    def layer_norm(self, x: str, gamma: np.ndarray, beta: np.ndarray, hint: str) -> str:
        return self.op("LayerNormalization", [x, self.const(gamma.astype(np.float32), hint + "_g"),
                                              self.const(beta.astype(np.float32), hint + "_b")],
                       hint, axis=-1, epsilon=1e-5)

    def gelu(self, x: str) -> str:
        return self.op("Gelu", [x], "gelu", domain="com.microsoft")

    def heads(self, x: str, n_head: int, d_head: int, transpose_key: bool = False) -> str:
        """(N, T, d) -> (N, H, T, dh), or (N, H, dh, T) for keys."""
        r = self.op("Reshape", [x, self.i64([0, 0, n_head, d_head])], "split_heads")
        return self.op("Transpose", [r], "heads", perm=[0, 2, 3, 1] if transpose_key else [0, 2, 1, 3])

    def merge_heads(self, x: str, d: int) -> str:
        t = self.op("Transpose", [x], "merge", perm=[0, 2, 1, 3])
        return self.op("Reshape", [t, self.i64([0, 0, d])], "merged")

    def attention(self, q: str, k_t: str, v: str, mask: str | None, scale: float) -> tuple[str, str]:
        """softmax(q k^T * scale + mask) v over heads; returns (context, weights)."""
        scores = self.op("MatMul", [q, k_t], "scores")
        scores = self.op("Mul", [scores, self.f32(scale, "scale")], "scaled")
        if mask is not None:
            scores = self.op("Add", [scores, mask], "masked")
        weights = self.op("Softmax", [scores], "attn", axis=-1)
        return self.op("MatMul", [weights, v], "context"), weights

    def mlp(self, x: str, w: dict, prefix: str) -> str:
        h = self.linear(x, w[f"{prefix}/linear_0/weight"], w[f"{prefix}/linear_0/bias"], "fc1")
        h = self.gelu(h)
        return self.linear(h, w[f"{prefix}/linear_1/weight"], w[f"{prefix}/linear_1/bias"], "fc2")


def quantize_columns(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per column of a (in, out) matrix: w ~= q * scale[out]."""
    scale = np.abs(w).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def _split(array: np.ndarray, parts: int) -> list[np.ndarray]:
    return np.split(array, parts, axis=0)


def _model(graph: onnx.GraphProto, metadata: dict) -> onnx.ModelProto:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET),
                                                    helper.make_opsetid("com.microsoft", 1)],
                              producer_name="vidpipe-whisper-converter")
    model.ir_version = IR_VERSION
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key = key
        entry.value = str(value)
    return model


def encoder(m: WhisperModel, quantize: bool) -> onnx.ModelProto:
    w, d = m.weights, m.dims
    g = GraphBuilder(quantize)
    dh = d.n_audio_state // d.n_audio_head

    conv1 = g.op("Conv", ["mel", g.const(w["encoder/conv1/weight"].astype(np.float32), "conv1_w"),
                          g.const(w["encoder/conv1/bias"].astype(np.float32), "conv1_b")],
                 "conv1", kernel_shape=[3], pads=[1, 1])
    x = g.gelu(conv1)
    conv2 = g.op("Conv", [x, g.const(w["encoder/conv2/weight"].astype(np.float32), "conv2_w"),
                          g.const(w["encoder/conv2/bias"].astype(np.float32), "conv2_b")],
                 "conv2", kernel_shape=[3], pads=[1, 1], strides=[2])
    x = g.gelu(conv2)
    x = g.op("Transpose", [x], "frames", perm=[0, 2, 1])  # (N, T', d)
    # positional embedding sliced to T'
    t = g.op("Shape", [x], "shape", start=1, end=2)
    pos = g.op("Slice", [g.const(w["encoder/position_encodings/encodings"].astype(np.float32), "pos"),
                         g.i64([0]), t, g.i64([0])], "pos_t")
    x = g.op("Add", [x, pos], "x")

    for i in range(d.n_audio_layer):
        p = f"encoder/layer_{i}"
        h = g.layer_norm(x, w[f"{p}/self_attention/layer_norm/gamma"], w[f"{p}/self_attention/layer_norm/beta"], "ln1")
        qkv = g.linear(h, w[f"{p}/self_attention/linear_0/weight"], w[f"{p}/self_attention/linear_0/bias"], "qkv")
        # One head at a time: the (T, T) scores of a 30-s input are 9 MB per head, 54 MB for all six
        # at once; computed head by head the runtime reuses one buffer, which keeps a recognizer's
        # peak memory low (several run side by side).
        parts = g.op("Split", [qkv, g.i64([dh] * (3 * d.n_audio_head))], "head_part", outputs=3 * d.n_audio_head, axis=-1)
        contexts = []
        for h in range(d.n_audio_head):
            q_h, k_h, v_h = parts[h], parts[d.n_audio_head + h], parts[2 * d.n_audio_head + h]
            k_t = g.op("Transpose", [k_h], "k_t", perm=[0, 2, 1])
            ctx, _ = g.attention(q_h, k_t, v_h, None, dh ** -0.5)
            contexts.append(ctx)
        merged = g.op("Concat", contexts, "heads_merged", axis=-1)
        out = g.linear(merged, w[f"{p}/self_attention/linear_1/weight"],
                       w[f"{p}/self_attention/linear_1/bias"], "attn_out")
        x = g.op("Add", [x, out], "x")
        h = g.layer_norm(x, w[f"{p}/ffn/layer_norm/gamma"], w[f"{p}/ffn/layer_norm/beta"], "ln2")
        x = g.op("Add", [x, g.mlp(h, w, f"{p}/ffn")], "x")
    audio = g.layer_norm(x, w["encoder/layer_norm/gamma"], w["encoder/layer_norm/beta"], "ln_post")

    ks, vs = [], []
    for i in range(d.n_text_layer):
        p = f"decoder/layer_{i}/attention/linear_1"
        wk, wv = _split(w[f"{p}/weight"], 2)
        _, bv = _split(w[f"{p}/bias"], 2)
        # keys as (N, d, T): per head (dh, T), ready for q @ k without a transpose per decoder step;
        # values as (N, H * T, dh): per head (T, dh)
        k = g.op("Transpose", [g.linear(audio, wk, None, "cross_k")], "cross_k_t", perm=[0, 2, 1])
        v = g.op("Reshape", [g.heads(g.linear(audio, wv, bv, "cross_v"), d.n_text_head, d.n_text_state // d.n_text_head),
                             g.i64([0, -1, d.n_text_state // d.n_text_head])], "cross_v_h")
        ks.append(g.op("Unsqueeze", [k, g.i64([0])], "k1"))
        vs.append(g.op("Unsqueeze", [v, g.i64([0])], "v1"))
    g.op("Concat", ks, outputs=["n_layer_cross_k"], axis=0)
    g.op("Concat", vs, outputs=["n_layer_cross_v"], axis=0)

    graph = helper.make_graph(
        g.nodes, "whisper_encoder",
        [helper.make_tensor_value_info("mel", TensorProto.FLOAT, ["n_audio", d.n_mels, "T"])],
        [helper.make_tensor_value_info("n_layer_cross_k", TensorProto.FLOAT, [d.n_text_layer, "n_audio", d.n_text_state, "T2"]),
         helper.make_tensor_value_info("n_layer_cross_v", TensorProto.FLOAT, [d.n_text_layer, "n_audio", "HT2", d.n_text_state // d.n_text_head])],
        g.initializers)
    return _model(graph, encoder_metadata(m))


def decoder(m: WhisperModel, quantize: bool) -> onnx.ModelProto:
    w, d = m.weights, m.dims
    g = GraphBuilder(quantize)
    dh = d.n_text_state // d.n_text_head
    state = d.n_text_state

    # The token embedding, stored once. int8: rows quantized symmetrically; the lookup gathers
    # rows and scales, the output projection multiplies by the same table seen as (d, vocab).
    emb = w["decoder/embeddings/weight"].astype(np.float32)
    n = g.op("Shape", ["tokens"], "n", start=1, end=2)
    end = g.op("Add", ["offset", n], "end")
    if quantize:
        q_t, scale = quantize_columns(emb.T)  # (d, vocab), scale per vocab entry
        table = g.const(q_t, "emb_q")
        scales = g.const(scale, "emb_s")
        rows = g.op("Gather", [table, "tokens"], "emb_rows", axis=1)          # (d, N, n) int8
        rows = g.op("Cast", [rows], "emb_f", to=TensorProto.FLOAT)
        rows = g.op("Transpose", [rows], "emb_t", perm=[1, 2, 0])             # (N, n, d)
        row_scale = g.op("Gather", [scales, "tokens"], "emb_rs", axis=0)      # (N, n)
        row_scale = g.op("Unsqueeze", [row_scale, g.i64([-1])], "emb_rs1")
        x = g.op("Mul", [rows, row_scale], "tok")
    else:
        table = g.const(emb, "emb")
        x = g.op("Gather", [table, "tokens"], "tok", axis=0)
    pos = g.op("Slice", [g.const(w["decoder/position_encodings/encodings"].astype(np.float32), "pos"),
                         "offset", end, g.i64([0])], "pos_n")
    x = g.op("Add", [x, pos], "x")

    # causal mask over the cache: query i (at offset + i) sees keys 0 ... offset + i
    g.op("Squeeze", ["offset"], outputs=["offset0"])
    q_pos = g.op("Add", [g.op("Range", [g.i64(0), g.op("Squeeze", [n], "n0"), g.i64(1)], "qr"), "offset"], "q_pos")
    q_pos = g.op("Unsqueeze", [q_pos, g.i64([1])], "q_pos2")                 # (n, 1)
    k_pos = g.op("Range", [g.i64(0), g.op("Squeeze", [end], outputs=["end0"]), g.i64(1)], "k_pos")  # (m,)
    future = g.op("Greater", [k_pos, q_pos], "future")                        # (n, m)
    mask = g.op("Where", [future, g.f32(-np.inf, "neg_inf"), g.f32(0.0, "zero")], "mask")

    out_k, out_v, alignment = [], [], []
    # Each step reads only the cached positions before `offset` of each layer and writes the new
    # ones with one ScatterND per cache, instead of copying every layer's whole cache in and out.
    ctx_len, layers = d.n_text_ctx, d.n_text_layer
    heads_by_layer: dict[int, list[int]] = {}
    for layer, head in m.alignment_heads:
        heads_by_layer.setdefault(layer, []).append(head)
    for i in range(d.n_text_layer):
        p = f"decoder/layer_{i}"
        layer_index = g.i64(i)

        h = g.layer_norm(x, w[f"{p}/self_attention/layer_norm/gamma"], w[f"{p}/self_attention/layer_norm/beta"], "ln1")
        qkv = g.linear(h, w[f"{p}/self_attention/linear_0/weight"], w[f"{p}/self_attention/linear_0/bias"], "qkv")
        q, k, v = g.op("Split", [qkv, g.i64([state] * 3)], "qkv_part", outputs=3, axis=-1)
        before_k = g.op("Squeeze", [g.op("Slice", ["in_n_layer_self_k_cache", g.op("Concat", [g.i64([i]), g.i64([0])], "st", axis=0),
                                                   g.op("Concat", [g.i64([i + 1]), "offset"], "en", axis=0), g.i64([0, 2])],
                                          "past_k"), g.i64([0])], "before_k")          # (N, offset, d)
        before_v = g.op("Squeeze", [g.op("Slice", ["in_n_layer_self_v_cache", g.op("Concat", [g.i64([i]), g.i64([0])], "st", axis=0),
                                                   g.op("Concat", [g.i64([i + 1]), "offset"], "en", axis=0), g.i64([0, 2])],
                                          "past_v"), g.i64([0])], "before_v")
        keys = g.op("Concat", [before_k, k], "keys", axis=1)                  # (N, offset + n, d)
        values = g.op("Concat", [before_v, v], "values", axis=1)
        out_k.append(g.op("Unsqueeze", [k, g.i64([0])], "new_k1"))           # (1, N, n, d)
        out_v.append(g.op("Unsqueeze", [v, g.i64([0])], "new_v1"))
        ctx, _ = g.attention(g.heads(q, d.n_text_head, dh), g.heads(keys, d.n_text_head, dh, transpose_key=True),
                             g.heads(values, d.n_text_head, dh), mask, dh ** -0.5)
        out = g.linear(g.merge_heads(ctx, state), w[f"{p}/self_attention/linear_1/weight"],
                       w[f"{p}/self_attention/linear_1/bias"], "self_out")
        x = g.op("Add", [x, out], "x")

        h = g.layer_norm(x, w[f"{p}/attention/layer_norm/gamma"], w[f"{p}/attention/layer_norm/beta"], "ln_cross")
        q = g.linear(h, w[f"{p}/attention/linear_0/weight"], w[f"{p}/attention/linear_0/bias"], "cross_q")
        cross_k = g.op("Gather", ["n_layer_cross_k", layer_index], "ck", axis=0)   # (N, d, T)
        cross_v = g.op("Gather", ["n_layer_cross_v", layer_index], "cv", axis=0)   # (N, H * T, dh)
        ctx, weights = g.attention(g.heads(q, d.n_text_head, dh),
                                   g.op("Reshape", [cross_k, g.i64([0, d.n_text_head, dh, -1])], "ck_h"),
                                   g.op("Reshape", [cross_v, g.i64([0, d.n_text_head, -1, dh])], "cv_h"),
                                   None, dh ** -0.5)
        if i in heads_by_layer:
            alignment.append((i, g.op("Gather", [weights, g.i64(heads_by_layer[i])], "align", axis=1)))
        out = g.linear(g.merge_heads(ctx, state), w[f"{p}/attention/linear_2/weight"],
                       w[f"{p}/attention/linear_2/bias"], "cross_out")
        x = g.op("Add", [x, out], "x")
        h = g.layer_norm(x, w[f"{p}/ffn/layer_norm/gamma"], w[f"{p}/ffn/layer_norm/beta"], "ln2")
        x = g.op("Add", [x, g.mlp(h, w, f"{p}/ffn")], "x")

    x = g.layer_norm(x, w["decoder/layer_norm/gamma"], w["decoder/layer_norm/beta"], "ln_final")
    if quantize:
        g.op("DynamicQuantizeMatMul", [x, table, scales], outputs=["logits"], domain="com.microsoft")
    else:
        g.op("MatMul", [x, g.op("Transpose", [table], "emb_t", perm=[1, 0])], outputs=["logits"])
    # the new positions offset ... offset + n of every layer and batch entry, written over the cache:
    # ScatterND indices (layers, N, n, 3) = [layer, batch, position]
    batch = g.op("Shape", ["tokens"], "batch", start=0, end=1)
    grid = g.op("Concat", [g.i64([layers]), batch, n, g.i64([1])], "grid", axis=0)
    layer_ids = g.op("Reshape", [g.op("Range", [g.i64(0), g.i64(layers), g.i64(1)], "lr"), g.i64([-1, 1, 1, 1])], "layer_ids")
    batch_ids = g.op("Reshape", [g.op("Range", [g.i64(0), g.op("Squeeze", [batch], "b0"), g.i64(1)], "br"), g.i64([1, -1, 1, 1])],
                     "batch_ids")
    position_ids = g.op("Reshape", [g.op("Range", ["offset0", "end0", g.i64(1)], "pr"), g.i64([1, 1, -1, 1])], "position_ids")
    indices = g.op("Concat", [g.op("Expand", [ids, grid], "ids") for ids in (layer_ids, batch_ids, position_ids)], "indices", axis=-1)
    for news, cache, name in ((out_k, "in_n_layer_self_k_cache", "out_n_layer_self_k_cache"),
                              (out_v, "in_n_layer_self_v_cache", "out_n_layer_self_v_cache")):
        g.op("ScatterND", [cache, indices, g.op("Concat", news, "news", axis=0)], outputs=[name])  # news: (layers, N, n, d)
    # alignment heads in the order config.json lists them
    parts = []
    for layer, head in m.alignment_heads:
        block = dict(alignment)[layer]
        j = heads_by_layer[layer].index(head)
        parts.append(g.op("Slice", [block, g.i64([j]), g.i64([j + 1]), g.i64([1])], "align_head"))
    g.op("Concat", parts, outputs=["cross_attention_weights"], axis=1)

    cache_shape = [d.n_text_layer, "n_audio", d.n_text_ctx, state]
    cross_k_shape = [d.n_text_layer, "n_audio", state, "T"]
    cross_v_shape = [d.n_text_layer, "n_audio", "HT", dh]
    graph = helper.make_graph(
        g.nodes, "whisper_decoder",
        [helper.make_tensor_value_info("tokens", TensorProto.INT64, ["n_audio", "n_tokens"]),
         helper.make_tensor_value_info("in_n_layer_self_k_cache", TensorProto.FLOAT, cache_shape),
         helper.make_tensor_value_info("in_n_layer_self_v_cache", TensorProto.FLOAT, cache_shape),
         helper.make_tensor_value_info("n_layer_cross_k", TensorProto.FLOAT, cross_k_shape),
         helper.make_tensor_value_info("n_layer_cross_v", TensorProto.FLOAT, cross_v_shape),
         helper.make_tensor_value_info("offset", TensorProto.INT64, [1])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n_audio", "n_tokens", d.n_vocab]),
         helper.make_tensor_value_info("out_n_layer_self_k_cache", TensorProto.FLOAT, cache_shape),
         helper.make_tensor_value_info("out_n_layer_self_v_cache", TensorProto.FLOAT, cache_shape),
         helper.make_tensor_value_info("cross_attention_weights", TensorProto.FLOAT,
                                       ["n_audio", len(m.alignment_heads), "n_tokens", "T"])],
        g.initializers)
    return _model(graph, {"model_type": "whisper-decoder", "maintainer": "vidpipe"})


def encoder_metadata(m: WhisperModel) -> dict:
    d, t = m.dims, m.tokens
    blank = t.vocabulary.index("\u0120") if "\u0120" in t.vocabulary else 220  # " " in byte-level BPE
    return {
        "model_type": "whisper-converted",
        "version": "1",
        "maintainer": "vidpipe",
        "n_mels": d.n_mels,
        "n_audio_ctx": d.n_audio_ctx,
        "n_audio_state": d.n_audio_state,
        "n_audio_head": d.n_audio_head,
        "n_audio_layer": d.n_audio_layer,
        "n_vocab": d.n_vocab,
        "n_text_ctx": d.n_text_ctx,
        "n_text_state": d.n_text_state,
        "n_text_head": d.n_text_head,
        "n_text_layer": d.n_text_layer,
        "sot_sequence": ",".join(map(str, t.sot_sequence)),
        "all_language_tokens": ",".join(map(str, t.language_tokens)),
        "all_language_codes": ",".join(t.language_codes),
        "sot": t.sot,
        "sot_index": 0,
        "eot": t.eot,
        "blank_id": blank,
        "is_multilingual": int(t.multilingual),
        "no_speech": t.no_speech,
        "non_speech_tokens": ",".join(map(str, m.suppress_ids)),
        "transcribe": t.transcribe,
        "translate": t.translate,
        "sot_prev": t.sot_prev,
        "sot_lm": t.sot_lm,
        "no_timestamps": t.no_timestamps,
        "n_alignment_heads": len(m.alignment_heads),
    }
