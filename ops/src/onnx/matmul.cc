// ai.onnx MatMul (numpy matmul: batched, batch dims broadcast, 1-D operands promoted),
// Gemm (Y = alpha·op(A)·op(B) + beta·C, C broadcast to Y) and Det, on Eigen over the
// tensors' own row-major buffers: Eigen::Map, no copies.
#include <Eigen/Core>
#include <Eigen/LU>
#include <memory>
#include <string>
#include <vector>

#include "bb/runtime/registry.h"
#include "broadcast.h"
#include "kernel_util.h"

namespace bb::ops::onnx_ops {
namespace {

using runtime::OpRegistrar;
using runtime::OpsetRange;
using runtime::make_kernel;
constexpr auto kCompute = ir::OpKind::kCompute;

template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using ConstMap = Eigen::Map<const Matrix<T>>;
template <class T>
using MutMap = Eigen::Map<Matrix<T>>;


using Index = Eigen::Index;

// ---- The product -----------------------------------------------------------------------

// Eigen's packing buffers for one blocked product, sized as Eigen sizes them (from the
// cache sizes it reads from the CPU, so bounded: 2.6 MB for 1024² floats on a 1 MiB L2)
// and kept per thread from one product to the next.
template <class T>
class KeptBlocking final : public Eigen::internal::level3_blocking<T, T> {
 public:
  KeptBlocking(Index m, Index n, Index k) {
    // Eigen computes a row-major Y as Yᵀ = op(B)ᵀ·op(A)ᵀ: its rows are Y's columns.
    this->m_mc = n;
    this->m_nc = m;
    this->m_kc = k;
    Eigen::internal::computeProductBlockingSizes<T, T, 1>(this->m_kc, this->m_mc, this->m_nc, Index{1});
    thread_local std::vector<T, Eigen::aligned_allocator<T>> packed_a, packed_b;
    this->m_blockA = grown(packed_a, this->m_mc * this->m_kc);
    this->m_blockB = grown(packed_b, this->m_kc * this->m_nc);
  }

 private:
  static T* grown(std::vector<T, Eigen::aligned_allocator<T>>& space, Index size) {
    if (space.size() < static_cast<std::size_t>(size)) space.resize(static_cast<std::size_t>(size));
    return space.data();
  }
};

// Y = alpha·op(A)·op(B), or Y += that when `accumulate`. Y is m×n; A is m×k (k×m when
// `trans_a`), B k×n (n×k when `trans_b`), all row-major and dense. A large product runs
// the blocked GEMM that `y.noalias() = alpha * a * b` reaches in Eigen, with the same
// blocking, but packs into KeptBlocking's buffers: Eigen's expression allocates its
// buffers on every product and frees them after, and glibc may return them to the
// operating system each time, so the next product packs into fresh pages at a page fault
// each (the first 256² products of a process ran at 20 GFLOP/s instead of 46:
// docs/performance.md, "Round 5"). Products that Eigen computes coefficient-wise (m + n + k below its
// threshold) or as matrix·vector (m or n of 1) allocate nothing and take the expression.
template <class T>
void product(T* y, const T* a, const T* b, Index m, Index n, Index k, bool trans_a, bool trans_b, T alpha,
             bool accumulate) {
  MutMap<T> my(y, m, n);
  const bool blocked = m > 1 && n > 1 && k > 0 && m + n + k >= EIGEN_GEMM_TO_COEFFBASED_THRESHOLD;
  if (!blocked) {
    const ConstMap<T> ma(a, trans_a ? k : m, trans_a ? m : k), mb(b, trans_b ? n : k, trans_b ? k : n);
    auto store = [&](const auto& op_a, const auto& op_b) {
      if (accumulate) {
        my.noalias() += alpha * (op_a * op_b);
      } else {
        my.noalias() = alpha * (op_a * op_b);
      }
    };
    if (trans_a && trans_b) {
      store(ma.transpose(), mb.transpose());
    } else if (trans_a) {
      store(ma.transpose(), mb);
    } else if (trans_b) {
      store(ma, mb.transpose());
    } else {
      store(ma, mb);
    }
    return;
  }
  if (!accumulate) my.setZero();  // the blocked kernel adds to Y, as after Eigen's setZero
  KeptBlocking<T> blocking(m, n, k);
  // A transposed row-major operand is its plain column-major form, of the same stride.
  auto run = [&]<int kOrderA, int kOrderB>() {
    Eigen::internal::general_matrix_matrix_product<Index, T, kOrderA, false, T, kOrderB, false, Eigen::RowMajor,
                                                   1>::run(m, n, k, a, trans_a ? m : k, b, trans_b ? k : n, y, 1,
                                                           n, alpha, blocking);
  };
  constexpr int kRow = Eigen::RowMajor, kCol = Eigen::ColMajor;
  if (trans_a && trans_b) {
    run.template operator()<kCol, kCol>();
  } else if (trans_a) {
    run.template operator()<kCol, kRow>();
  } else if (trans_b) {
    run.template operator()<kRow, kCol>();
  } else {
    run.template operator()<kRow, kRow>();
  }
}

OpResult types_differ(const Tensor& a, const Tensor& b) {
  return OpResult::fail(Reason::kTypeMismatch, "inputs A and B have different element types (" +
                                                   runtime::to_string(a.dtype()) + " and " +
                                                   runtime::to_string(b.dtype()) + ")");
}

// ---- MatMul ----------------------------------------------------------------------------

class MatMul final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<MatMul>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<MatMul>();
  }

  OpResult compute(Invocation& inv) override {
    OpResult result;
    const Tensor* a = tensor_in(inv, 0, result);
    if (a == nullptr) return result;
    const Tensor* b = tensor_in(inv, 1, result);
    if (b == nullptr) return result;
    if (a->dtype() != b->dtype()) return types_differ(*a, *b);
    if (a->rank() == 0 || b->rank() == 0)
      return shape_mismatch("MatMul needs operands of rank ≥ 1, got shapes " + runtime::shape_text(a->shape()) +
                            " and " + runtime::shape_text(b->shape()));
    // Promote 1-D operands: A [K] → [1, K], B [K] → [K, 1]; the added dim is dropped below.
    const Shape sa = a->rank() == 1 ? Shape{1, a->dim(0)} : a->shape();
    const Shape sb = b->rank() == 1 ? Shape{b->dim(0), 1} : b->shape();
    const std::int64_t m = sa[sa.size() - 2], k = sa[sa.size() - 1];
    const std::int64_t kb = sb[sb.size() - 2], n = sb[sb.size() - 1];
    if (k != kb)
      return shape_mismatch("inputs A and B: shapes " + runtime::shape_text(a->shape()) + " and " +
                            runtime::shape_text(b->shape()) + " cannot be multiplied (" + std::to_string(k) +
                            " columns vs " + std::to_string(kb) + " rows)");
    const Shape batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
    auto batch = broadcast_shapes(batch_a, batch_b);
    if (!batch)
      return shape_mismatch("inputs A and B: batch dims of " + runtime::shape_text(a->shape()) + " and " +
                            runtime::shape_text(b->shape()) + " do not broadcast: " + batch.error());
    Shape out_shape = *batch;
    if (a->rank() != 1) out_shape.push_back(m);
    if (b->rank() != 1) out_shape.push_back(n);

    Tensor out;
    const bool known = MatMulTypes::run(a->dtype(), [&](auto tag) {
      using T = decltype(tag);
      out = Tensor::allocate(a->dtype(), out_shape);
      const T* pa = a->data<T>();
      const T* pb = b->data<T>();
      T* py = out.mutable_data<T>();
      auto one = [&](std::int64_t y, std::int64_t ia, std::int64_t ib) {
        product<T>(py + y * m * n, pa + ia * m * k, pb + ib * k * n, m, n, k, false, false, T{1}, false);
      };
      if (batch->empty()) {
        one(0, 0, 0);
        return;
      }
      const Shape stride_a = broadcast_strides(batch_a, *batch), stride_b = broadcast_strides(batch_b, *batch);
      for_each_broadcast(*batch, stride_a, stride_b, one);
    });
    if (!known) return type_mismatch("input A", a->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }
};

const OpRegistrar kMatMul{"", "MatMul", OpsetRange{1}, kCompute, &make_kernel<MatMul>, MatMulTypes::kNames};

// ---- Gemm ------------------------------------------------------------------------------

class Gemm final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Gemm>, std::string> create(const runtime::KernelInit& init) {
    auto alpha = float_attr(init.node, "alpha", 1.0f);
    if (!alpha) return unexpected(std::move(alpha.error()));
    auto beta = float_attr(init.node, "beta", 1.0f);
    if (!beta) return unexpected(std::move(beta.error()));
    auto trans_a = int_attr(init.node, "transA", 0);
    if (!trans_a) return unexpected(std::move(trans_a.error()));
    auto trans_b = int_attr(init.node, "transB", 0);
    if (!trans_b) return unexpected(std::move(trans_b.error()));
    return std::make_unique<Gemm>(*alpha, *beta, *trans_a != 0, *trans_b != 0);
  }
  Gemm(float alpha, float beta, bool trans_a, bool trans_b)
      : alpha_(alpha), beta_(beta), trans_a_(trans_a), trans_b_(trans_b) {}

  OpResult compute(Invocation& inv) override {
    OpResult result;
    const Tensor* a = tensor_in(inv, 0, result);
    if (a == nullptr) return result;
    const Tensor* b = tensor_in(inv, 1, result);
    if (b == nullptr) return result;
    const Tensor* c = optional_tensor_in(inv, 2, result);
    if (result.status != runtime::Status::kOk) return result;
    if (a->dtype() != b->dtype()) return types_differ(*a, *b);
    if (c != nullptr && c->dtype() != a->dtype())
      return OpResult::fail(Reason::kTypeMismatch, "input C has element type " + runtime::to_string(c->dtype()) +
                                                       ", input A " + runtime::to_string(a->dtype()));
    if (a->rank() != 2 || b->rank() != 2)
      return shape_mismatch("Gemm needs 2-D A and B, got shapes " + runtime::shape_text(a->shape()) + " and " +
                            runtime::shape_text(b->shape()));
    const std::int64_t m = trans_a_ ? a->dim(1) : a->dim(0), k = trans_a_ ? a->dim(0) : a->dim(1);
    const std::int64_t kb = trans_b_ ? b->dim(1) : b->dim(0), n = trans_b_ ? b->dim(0) : b->dim(1);
    if (k != kb)
      return shape_mismatch("inputs A and B: shapes " + runtime::shape_text(a->shape()) + " and " +
                            runtime::shape_text(b->shape()) + " cannot be multiplied with transA=" +
                            std::to_string(trans_a_) + ", transB=" + std::to_string(trans_b_));
    const Shape out_shape{m, n};
    if (c != nullptr) {
      auto joint = broadcast_shapes(c->shape(), out_shape);
      if (!joint || *joint != out_shape)
        return shape_mismatch("input C of shape " + runtime::shape_text(c->shape()) + " does not broadcast to " +
                              runtime::shape_text(out_shape));
    }
    Tensor out;
    const bool known = MatMulTypes::run(a->dtype(), [&](auto tag) {
      using T = decltype(tag);
      out = Tensor::allocate(a->dtype(), out_shape);
      const bool add_c = c != nullptr && beta_ != 0.0f;
      if (add_c) fill_c<T>(*c, static_cast<T>(beta_), out);
      product<T>(out.mutable_data<T>(), a->data<T>(), b->data<T>(), m, n, k, trans_a_, trans_b_,
                 static_cast<T>(alpha_), add_c);
    });
    if (!known) return type_mismatch("input A", a->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  // out = beta · C broadcast to out's shape.
  template <class T>
  static void fill_c(const Tensor& c, T beta, Tensor& out) {
    const T* pc = c.data<T>();
    T* y = out.mutable_data<T>();
    const Shape sc = broadcast_strides(c.shape(), out.shape());
    const Shape unused(out.rank(), 0);
    for_each_broadcast(out.shape(), sc, unused,
                       [&](std::int64_t o, std::int64_t ic, std::int64_t) { y[o] = static_cast<T>(beta * pc[ic]); });
  }

  float alpha_, beta_;
  bool trans_a_, trans_b_;
};

const OpRegistrar kGemm{"", "Gemm", OpsetRange{7}, kCompute, &make_kernel<Gemm>, MatMulTypes::kNames};

// ---- Det -------------------------------------------------------------------------------

// The determinant of every square matrix in the last two dims: [..., M, M] → [...].
class Det final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Det>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<Det>();
  }

  OpResult compute(Invocation& inv) override {
    OpResult result;
    const Tensor* x = tensor_in(inv, 0, result);
    if (x == nullptr) return result;
    if (x->rank() < 2 || x->dim(x->rank() - 1) != x->dim(x->rank() - 2))
      return shape_mismatch("Det needs square matrices in the last two dims, got shape " +
                            runtime::shape_text(x->shape()));
    const std::int64_t m = x->dim(x->rank() - 1);
    const Shape out_shape(x->shape().begin(), x->shape().end() - 2);
    Tensor out;
    const bool known = dispatch_float(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      out = Tensor::allocate(x->dtype(), out_shape);
      T* y = out.mutable_data<T>();
      for (std::int64_t b = 0; b < out.size(); ++b) y[b] = ConstMap<T>(x->data<T>() + b * m * m, m, m).determinant();
    });
    if (!known) return type_mismatch("input 0", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }
};

const OpRegistrar kDet{"", "Det", OpsetRange{11}, kCompute, &make_kernel<Det>, FloatTypes::kNames};

}  // namespace
}  // namespace bb::ops::onnx_ops
