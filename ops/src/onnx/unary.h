// Element-wise kernels of one input: y[i] = f(x[i]) with the same shape and type.
//
// An op is a small struct: `static Expected<Op, std::string> parse(const onnx::NodeProto&)`
// reads its attributes once at load, `template <class T> T operator()(T x) const`
// computes one element, and `Types` names the element types it takes (one of the
// type sets of kernel_util.h). Map<Op> is the kernel; it allocates the output from the pool
// and runs one straight loop the compiler vectorises.
#pragma once

#include <memory>
#include <string>

#include "bb/runtime/registry.h"
#include "kernel_util.h"

namespace bb::ops::onnx_ops {

// For ops without attributes.
template <class Op>
Expected<Op, std::string> parse_nothing(const onnx::NodeProto&) {
  return Op{};
}

template <class Op>
class Map final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Map>, std::string> create(const runtime::KernelInit& init) {
    auto op = Op::parse(init.node);
    if (!op) return unexpected(std::move(op.error()));
    return std::make_unique<Map>(std::move(*op));
  }
  explicit Map(Op op) : op_(std::move(op)) {}

  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    Tensor out;
    const bool known = Op::Types::run(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      out = Tensor::allocate(x->dtype(), x->shape());
      const T* in = x->data<T>();
      T* y = out.mutable_data<T>();
      const std::int64_t n = x->size();
      for (std::int64_t i = 0; i < n; ++i) y[i] = op_(in[i]);
    });
    if (!known) return type_mismatch("input 0", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  Op op_;
};

}  // namespace bb::ops::onnx_ops
