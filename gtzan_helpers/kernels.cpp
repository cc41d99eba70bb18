// Compiled inner loops of gtzan_helpers.fast_training, for bfloat16 training on the CPU.
//
// Each function computes exactly what its Python counterpart in fast_training.py (and,
// for Adam, PyTorch's fused Adam; for the output layer's products, oneDNN) computes, bit
// for bit for finite values, without a Python call per step: the tests train the same
// networks both ways and compare.
#include <torch/extension.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <vector>

using at::Tensor;

namespace {

inline float float_of(uint16_t bits) {
  const uint32_t wide = uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof value);
  return value;
}

// float -> bfloat16 rounded to nearest even, as c10::BFloat16 does for finite values
inline uint16_t bfloat16_of(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return uint16_t((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

inline uint16_t* bits_of(const Tensor& t) { return reinterpret_cast<uint16_t*>(t.data_ptr()); }

// NumPy's PCG64: a 128-bit LCG with the XSL-RR output, one 64-bit draw per step
struct Pcg64 {
  static constexpr __uint128_t multiplier =
      (__uint128_t(2549297995355413924ULL) << 64) | 4865540595714422341ULL;
  __uint128_t state, increment;

  static uint64_t output(__uint128_t s) {
    const uint64_t folded = uint64_t(s >> 64) ^ uint64_t(s);
    const unsigned rotation = unsigned(s >> 122);
    return (folded >> rotation) | (folded << ((-rotation) & 63));
  }

  // the next n draws, as n calls of NumPy's next64. Four interleaved chains, each
  // jumping four steps at a time (x -> A^4 x + (A^3 + A^2 + A + 1) c), give the same
  // sequence without waiting on one long chain of 128-bit multiplications.
  void fill(uint64_t* out, int64_t n) {
    const __uint128_t a2 = multiplier * multiplier, a4 = a2 * a2;
    const __uint128_t c4 = increment * (multiplier + 1) * (a2 + 1);
    __uint128_t lanes[4];
    __uint128_t s = state;
    for (auto& lane : lanes) lane = s = s * multiplier + increment;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
      for (int l = 0; l < 4; ++l) out[i + l] = output(lanes[l]);
      state = lanes[3];
      for (auto& lane : lanes) lane = lane * a4 + c4;
    }
    for (int l = 0; i < n; ++i, ++l) out[i] = output(state = lanes[l]);
  }
};

// h = ReLU(z) * gate, into h (a view beside its column of ones); as the Python step:
// clamp the integer view at 0, then a bfloat16 product
void relu_gate(const Tensor& z, const Tensor& gate, const Tensor& h) {
  const int64_t N = z.size(0), B = z.size(1), width = z.size(2);
  const uint16_t *zp = bits_of(z), *gp = bits_of(gate);
  uint16_t* hp = bits_of(h);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t b = 0; b < B; ++b) {
      const uint16_t* zr = zp + n * z.stride(0) + b * z.stride(1);
      const uint16_t* gr = gp + n * gate.stride(0) + b * gate.stride(1);
      uint16_t* hr = hp + n * h.stride(0) + b * h.stride(1);
      for (int64_t j = 0; j < width; ++j) {
        const uint16_t positive = int16_t(zr[j]) < 0 ? uint16_t(0) : zr[j];
        hr[j] = bfloat16_of(float_of(positive) * float_of(gr[j]));
      }
    }
}

// the gradient through the gate and the ReLU: (g * gate) where h > 0, else 0
void gate_relu_backward(const Tensor& g, const Tensor& gate, const Tensor& h, const Tensor& out) {
  const int64_t N = out.size(0), B = out.size(1), width = out.size(2);
  const uint16_t *gp = bits_of(g), *tp = bits_of(gate), *hp = bits_of(h);
  uint16_t* op = bits_of(out);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t b = 0; b < B; ++b) {
      const uint16_t* gr = gp + n * g.stride(0) + b * g.stride(1);
      const uint16_t* tr = tp + n * gate.stride(0) + b * gate.stride(1);
      const uint16_t* hr = hp + n * h.stride(0) + b * h.stride(1);
      uint16_t* orow = op + n * out.stride(0) + b * out.stride(1);
      for (int64_t j = 0; j < width; ++j) {
        const uint16_t through = bfloat16_of(float_of(gr[j]) * float_of(tr[j]));
        orow[j] = float_of(hr[j]) > 0.f ? through : uint16_t(0);
      }
    }
}

// The products of the output layer (one unit). oneDNN's bfloat16 kernels (VDPBF16PS)
// compute each output as a chain of float32 multiply-adds along the reduction, two
// elements at a time and the odd one of each pair first, with denormal inputs and results
// flushed to zero, then round it to bfloat16. With the CPU's flush-to-zero and
// denormals-are-zero flags set (FlushDenormals), fused multiply-adds in that order give
// the same bits, without oneDNN's per-call cost, which these tiny products are all.
#if defined(__x86_64__)
struct FlushDenormals {
  const unsigned saved = _mm_getcsr();
  FlushDenormals() { _mm_setcsr(saved | 0x8040u); }  // FTZ | DAZ
  ~FlushDenormals() { _mm_setcsr(saved); }
};
#else  // bfloat16 kernels are only chosen on x86 CPUs (AVX512-BF16 or AMX)
struct FlushDenormals {};
#endif

// logits (N, B) = bfloat16(h (N, B, K) @ w (N, K, 1)), widened to float32
__attribute__((noinline)) void unit_forward(const Tensor& h, const Tensor& w, const Tensor& logits) {
  const int64_t N = h.size(0), B = h.size(1), K = h.size(2), pairs = K / 2;
  const int64_t row = h.stride(1);
  float* out = logits.data_ptr<float>();
  for (int64_t n = 0; n < N; ++n) {
    const uint16_t* hn = bits_of(h) + n * h.stride(0);
    const uint16_t* wn = bits_of(w) + n * w.stride(0);
    int64_t b = 0;
#ifdef __AVX512F__
    // 16 rows at a time, one lane each; a gather brings each row's pair (odd element high)
    const __m512i offsets = _mm512_mullo_epi32(_mm512_set1_epi32(int(row * 2)),
                                               _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                                                 10, 11, 12, 13, 14, 15));
    const __m512i high = _mm512_set1_epi32(int(0xFFFF0000u));
    for (; b + 16 <= B; b += 16) {
      const uint16_t* rows = hn + b * row;
      __m512 acc = _mm512_setzero_ps();
      for (int64_t j = 0; j < pairs; ++j) {
        const __m512i pair = _mm512_i32gather_epi32(offsets, rows + 2 * j, 1);
        acc = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(pair, high)),
                              _mm512_set1_ps(float_of(wn[2 * j + 1])), acc);
        acc = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(pair, 16)),
                              _mm512_set1_ps(float_of(wn[2 * j])), acc);
      }
      alignas(64) float sums[16];
      _mm512_store_ps(sums, acc);
      for (int r = 0; r < 16; ++r) {
        float last = sums[r];
        if (K % 2) {  // the last pair: only its even element is there
          last = std::fma(0.f, 0.f, last);
          last = std::fma(float_of(rows[r * row + K - 1]), float_of(wn[K - 1]), last);
        }
        out[n * B + b + r] = float_of(bfloat16_of(last));
      }
    }
#endif
    for (; b < B; ++b) {
      const uint16_t* hr = hn + b * row;
      float acc = 0.f;
      for (int64_t k = 0; k < K; k += 2) {
        acc = k + 1 < K ? std::fma(float_of(hr[k + 1]), float_of(wn[k + 1]), acc) : std::fma(0.f, 0.f, acc);
        acc = std::fma(float_of(hr[k]), float_of(wn[k]), acc);
      }
      out[n * B + b] = float_of(bfloat16_of(acc));
    }
  }
}

// grad w (N, K, 1) = bfloat16(h^T (N, K, B) @ g (N, B, 1)): each weight's chain runs over
// the rows, so the weights sit in the lanes
__attribute__((noinline)) void unit_weight_grad(const Tensor& h, const Tensor& g, const Tensor& out) {
  const int64_t N = h.size(0), B = h.size(1), K = h.size(2);
  thread_local std::vector<float> acc;
  acc.resize(K);
  for (int64_t n = 0; n < N; ++n) {
    const uint16_t* hn = bits_of(h) + n * h.stride(0);
    const uint16_t* gn = bits_of(g) + n * g.stride(0);
    float* a = acc.data();
    std::fill(acc.begin(), acc.end(), 0.f);
    for (int64_t b = 0; b < B; b += 2) {
      const uint16_t* even = hn + b * h.stride(1);
      const float ge = float_of(gn[b * g.stride(1)]);
      if (b + 1 < B) {
        const uint16_t* odd = even + h.stride(1);
        const float go = float_of(gn[(b + 1) * g.stride(1)]);
        for (int64_t k = 0; k < K; ++k) a[k] = std::fma(float_of(odd[k]), go, a[k]);
      } else {
        for (int64_t k = 0; k < K; ++k) a[k] = std::fma(0.f, 0.f, a[k]);
      }
      for (int64_t k = 0; k < K; ++k) a[k] = std::fma(float_of(even[k]), ge, a[k]);
    }
    uint16_t* o = bits_of(out) + n * out.stride(0);
    for (int64_t k = 0; k < K; ++k) o[k * out.stride(1)] = bfloat16_of(a[k]);
  }
}

// back (N, B, width) = bfloat16(g (N, B, 1) @ w^T (N, 1, K)), its first `width` columns:
// a reduction of one element, padded to a pair, is (0 * 0 + 0) + g * w, that is g * w with
// a zero's sign dropped
__attribute__((noinline)) void unit_backward(const Tensor& g, const Tensor& w, const Tensor& back) {
  const int64_t N = back.size(0), B = back.size(1), width = back.size(2);
  thread_local std::vector<float> weights;
  weights.resize(width);
  float* wf = weights.data();
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t k = 0; k < width; ++k) wf[k] = float_of(bits_of(w)[n * w.stride(0) + k * w.stride(1)]);
    for (int64_t b = 0; b < B; ++b) {
      const float gb = float_of(bits_of(g)[n * g.stride(0) + b * g.stride(1)]);
      uint16_t* __restrict out = bits_of(back) + n * back.stride(0) + b * back.stride(1);
      for (int64_t k = 0; k < width; ++k) out[k] = bfloat16_of(gb * wf[k] + 0.f);
    }
  }
}

// Adam's moments and parameter at one element, as at::_fused_adam_ computes them for
// float32: its vectorised body (`tail` false) and its scalar tail differ in where the
// compiler fused a multiply-add, and both are matched here (checked at load time)
template <bool tail>
inline void adam_element(float& p, float& m, float& v, float g, float c1, float c2, float b2,
                         float bc2_sqrt, float eps, float step_size) {
  m = std::fma(c1, g - m, m);
  const float cg = c2 * g;
  v = tail ? std::fma(v, b2, cg * g) : std::fma(cg, g, v * b2);
  const float denom = std::sqrt(v) / bc2_sqrt + eps;
  p = tail ? p - (step_size * m) / denom : p + (-step_size * m) / denom;
}

}  // namespace

// The output layer's three products by hand, for the check at load time against
// at::bmm: h @ w (widened to float32), h^T @ g and g @ w^T, for bfloat16 h (N, B, K),
// w (N, K, 1) and g (N, B, 1)
std::tuple<Tensor, Tensor, Tensor> unit_products(const Tensor& h, const Tensor& w, const Tensor& g) {
  const int64_t N = h.size(0), B = h.size(1), K = h.size(2);
  Tensor logits = at::empty({N, B}, h.options().dtype(at::kFloat));
  Tensor grad = at::empty({N, K, 1}, h.options()), back = at::empty({N, B, K}, h.options());
  FlushDenormals flush;
  unit_forward(h, w, logits);
  unit_weight_grad(h, g, grad);
  unit_backward(g, w, back);
  return {logits, grad, back};
}

// torch.optim.Adam's update of networks `rows` (rows of the flat (N, P) parameters),
// bit for bit as at::_fused_adam_ (lr, betas, eps; no weight decay) with ATen's float
// vectors `width` wide, from the bfloat16 gradients; also writes the new parameters'
// bfloat16 copies `W` (per layer (N, in + 1, out), at `offsets` of a row) and counts the
// step in `step_counts`.
void adam_rows(Tensor flat, Tensor grad_low, Tensor m1, Tensor m2, Tensor step_counts,
               std::vector<int64_t> rows, std::vector<Tensor> W, std::vector<int64_t> offsets,
               double lr, double beta1, double beta2, double eps, int64_t width) {
  const int64_t P = flat.size(1), body = P - P % width;
  float* counts = step_counts.data_ptr<float>();
  const float c1 = float(1 - beta1), c2 = float(1 - beta2), b2 = float(beta2);
  for (int64_t i : rows) {
    counts[i] += 1.f;
    const double step = counts[i];
    const double bc1 = 1 - std::pow(beta1, step), bc2 = 1 - std::pow(beta2, step);
    const float step_size = float(lr / bc1), bc2_sqrt = float(std::sqrt(bc2)), e = float(eps);
    float* p = flat.data_ptr<float>() + i * P;
    float* m = m1.data_ptr<float>() + i * P;
    float* v = m2.data_ptr<float>() + i * P;
    const uint16_t* g = bits_of(grad_low) + i * P;
    for (size_t k = 0; k < W.size(); ++k) {
      const int64_t start = offsets[k], end = offsets[k + 1];
      uint16_t* w = bits_of(W[k]) + i * (end - start) - start;  // w[d]: element d of the row
      const int64_t split = std::max(start, std::min(end, body));
      for (int64_t d = start; d < split; ++d) {
        adam_element<false>(p[d], m[d], v[d], float_of(g[d]), c1, c2, b2, bc2_sqrt, e, step_size);
        w[d] = bfloat16_of(p[d]);
      }
      for (int64_t d = split; d < end; ++d) {
        adam_element<true>(p[d], m[d], v[d], float_of(g[d]), c1, c2, b2, bc2_sqrt, e, step_size);
        w[d] = bfloat16_of(p[d]);
      }
    }
  }
}

// One network's dropout gates for an epoch, as fast_training._epoch_batches draws them:
// 16-bit uniforms from the generator's raw 64-bit output (lowest bits first), a unit
// kept where its uniform is below `threshold`, its gate then `one` (the bit pattern of
// 1/keep), else 0; rows past `size` get 0. `gates` are the layers' (batches, N, B, width)
// buffers; this network's slices are written. Returns the generator's new state.
std::tuple<uint64_t, uint64_t> dropout_gates(uint64_t state_high, uint64_t state_low,
                                             uint64_t increment_high, uint64_t increment_low,
                                             int64_t size, int64_t network,
                                             std::vector<Tensor> gates, int64_t threshold,
                                             int64_t one) {
  Pcg64 rng{(__uint128_t(state_high) << 64) | state_low,
            (__uint128_t(increment_high) << 64) | increment_low};
  int64_t units = 0;
  for (const Tensor& layer : gates) units += layer.size(3);
  // all the epoch's draws first (a tight loop), then the gates (a loop that vectorises)
  thread_local std::vector<uint64_t> draws;
  draws.resize((size * units + 3) / 4);
  rng.fill(draws.data(), int64_t(draws.size()));
  const uint16_t* uniform = reinterpret_cast<const uint16_t*>(draws.data());  // little-endian
  const uint16_t kept = uint16_t(one);
  const int64_t batch_size = gates[0].size(2), rows = gates[0].size(0) * batch_size;
  for (const Tensor& layer : gates) {
    // this network's slice of the layer: (batches, B, width), rows contiguous
    uint16_t* const base = bits_of(layer) + network * layer.stride(1);
    const int64_t width = layer.size(3), batch_stride = layer.stride(0), row_stride = layer.stride(2);
    const uint16_t* in = uniform;
    for (int64_t r = 0; r < rows; ++r, in += units) {
      uint16_t* __restrict out = base + (r / batch_size) * batch_stride + (r % batch_size) * row_stride;
      if (r >= size) {
        std::memset(out, 0, width * sizeof(uint16_t));
        continue;
      }
      for (int64_t j = 0; j < width; ++j) out[j] = int32_t(in[j]) < threshold ? kept : uint16_t(0);
    }
    uniform += width;  // the next layer's units follow in each row
  }
  return {uint64_t(rng.state >> 64), uint64_t(rng.state)};
}

// An epoch of _Stack.step calls: the same products, elementwise work and Adam update,
// per batch; returns the logits of all batches side by side (N, rows), float32.
// `lives[j]` lists the networks with rows in batch j (empty when all have). With
// `width` > 0 (and no weight decay) the update is adam_rows, else at::_fused_adam_;
// with `output_by_hand` the products of a one-unit output layer are unit_forward,
// unit_weight_grad and unit_backward, else at::bmm.
Tensor train_epoch(std::vector<Tensor> xs, std::vector<Tensor> ys, std::vector<Tensor> gates,
                   std::vector<Tensor> row_weights, std::vector<std::vector<int64_t>> lives,
                   std::vector<Tensor> views, std::vector<Tensor> W, std::vector<Tensor> acts,
                   std::vector<Tensor> grad_views, Tensor flat, Tensor grad, Tensor grad_low,
                   std::vector<Tensor> params, std::vector<Tensor> grads, std::vector<Tensor> m1,
                   std::vector<Tensor> m2, Tensor m1_flat, Tensor m2_flat,
                   std::vector<Tensor> steps, Tensor step_counts, std::vector<int64_t> offsets,
                   double lr, double beta1, double beta2, double eps, double weight_decay,
                   int64_t width, bool output_by_hand) {
  at::NoGradGuard no_grad;
  const size_t layers = W.size(), hidden = layers - 1;
  const bool own_adam = width > 0 && weight_decay == 0;
  const bool one_unit = output_by_hand && W.back().size(2) == 1;
  std::vector<int64_t> everyone(flat.size(0));
  for (size_t i = 0; i < everyone.size(); ++i) everyone[i] = int64_t(i);
  // the products' outputs, allocated once for the epoch's (full) batches
  const int64_t N = xs[0].size(0), full = xs[0].size(1);
  std::vector<Tensor> zs, backs, outs;
  for (size_t k = 0; k < hidden; ++k) {
    zs.push_back(at::empty({N, full, W[k].size(2)}, W[k].options()));
    outs.push_back(at::empty({N, full, W[k].size(2)}, W[k].options()));
    backs.push_back(at::empty({N, full, W[k + 1].size(1)}, W[k].options()));
  }
  std::vector<Tensor> logits;
  for (size_t j = 0; j < xs.size(); ++j) {
    const Tensor& x = xs[j];
    const int64_t B = x.size(1);
    const bool is_full = B == full;
    if (!own_adam || j == 0) at::_foreach_copy_(W, views);  // adam_rows keeps W current
    std::vector<Tensor> inputs{x}, cores(hidden);
    for (size_t k = 0; k < hidden; ++k) {
      const Tensor z = is_full ? at::bmm_out(zs[k], inputs.back(), W[k]) : at::bmm(inputs.back(), W[k]);
      const Tensor h = acts[k].narrow(1, 0, B);
      cores[k] = h.narrow(2, 0, h.size(2) - 1);
      relu_gate(z, gates[j * hidden + k], cores[k]);
      inputs.push_back(h);
    }
    Tensor logit;
    // ATen hands a batched product to oneDNN only when b * m * k * n > 16^3; smaller ones
    // run other code, which sums in another order, so they stay with at::bmm
    const bool by_hand = one_unit && N * B * inputs.back().size(2) > 16 * 16 * 16;
    if (by_hand) {
      logit = at::empty({N, B}, flat.options());
      FlushDenormals flush;
      unit_forward(inputs.back(), W[layers - 1], logit);
    } else {
      logit = at::bmm(inputs.back(), W[layers - 1]).select(2, 0).to(at::kFloat);
    }
    logits.push_back(logit);
    Tensor g = at::sigmoid(logit).sub_(ys[j]).mul_(row_weights[j]).unsqueeze(2).to(at::kBFloat16);
    for (size_t k = layers; k-- > 0;) {
      const bool unit = by_hand && k == layers - 1;
      if (unit) {
        FlushDenormals flush;
        unit_weight_grad(inputs[k], g, grad_views[k]);
      } else {
        at::bmm_out(grad_views[k], inputs[k].transpose(1, 2), g);
      }
      if (k > 0) {
        Tensor back;
        if (unit) {
          back = is_full ? backs[k - 1] : at::empty({N, B, W[k].size(1)}, W[k].options());
          FlushDenormals flush;
          unit_backward(g, W[k], back.narrow(2, 0, cores[k - 1].size(2)));
        } else {
          back = is_full ? at::bmm_out(backs[k - 1], g, W[k].transpose(1, 2))
                         : at::bmm(g, W[k].transpose(1, 2));
        }
        Tensor out = is_full ? outs[k - 1] : at::empty_like(cores[k - 1]);
        gate_relu_backward(back, gates[j * hidden + k - 1], cores[k - 1], out);
        g = out;
      }
    }
    const std::vector<int64_t>& rows = lives[j].empty() ? everyone : lives[j];
    if (own_adam) {
      adam_rows(flat, grad_low, m1_flat, m2_flat, step_counts, rows, W, offsets, lr, beta1,
                beta2, eps, width);
      continue;
    }
    grad.copy_(grad_low);
    std::vector<Tensor> p, gr, a, s, st;
    for (int64_t i : rows) {
      p.push_back(params[i]), gr.push_back(grads[i]), a.push_back(m1[i]), s.push_back(m2[i]);
      st.push_back(steps[i]);
    }
    at::_foreach_add_(st, 1);
    at::_fused_adam_(p, gr, a, s, {}, st, lr, beta1, beta2, weight_decay, eps, false, false);
  }
  return at::cat(logits, 1);
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("dropout_gates", &dropout_gates);
  m.def("train_epoch", &train_epoch);
  m.def("adam_rows", &adam_rows);
  m.def("unit_products", &unit_products);
}
