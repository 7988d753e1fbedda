// ai.onnx Einsum: numpy's einsum notation ("bij,bjk->bik", "...ii->...i", implicit
// output "i,i"), parsed once at load. Every label gets a size from the inputs; the
// kernel walks every assignment of the labels (output labels outermost) and sums the
// products of the inputs' elements into the output. Repeated labels within one input
// take its diagonal; `...` stands for the same broadcast dims in every term.
#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "bb/runtime/registry.h"
#include "kernel_util.h"

namespace bb::ops::onnx_ops {
namespace {

using runtime::OpRegistrar;
using runtime::OpsetRange;
constexpr auto kCompute = ir::OpKind::kCompute;

constexpr int kLetters = 52;  // a-z, A-Z; ellipsis dims are labels kLetters + k

struct Term {
  std::vector<int> letters_before, letters_after;  // around "..."
  bool ellipsis = false;
};

int letter_id(char c) { return std::islower(static_cast<unsigned char>(c)) ? c - 'a' : 26 + (c - 'A'); }

Expected<Term, std::string> parse_term(const std::string& text) {
  Term t;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (t.ellipsis || text.compare(i, 3, "...") != 0) return unexpected("term '" + text + "' has a stray '.'");
      t.ellipsis = true;
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      (t.ellipsis ? t.letters_after : t.letters_before).push_back(letter_id(c));
    } else {
      return unexpected("term '" + text + "' holds '" + std::string(1, c) + "', which is not a letter or '...'");
    }
  }
  return t;
}

struct Equation {
  std::vector<Term> inputs;
  std::optional<Term> output;  // nullopt: implicit
};

Expected<Equation, std::string> parse_equation(std::string_view raw) {
  std::string text;
  for (char c : raw)
    if (!std::isspace(static_cast<unsigned char>(c))) text += c;
  Equation eq;
  const auto arrow = text.find("->");
  const std::string lhs = text.substr(0, arrow);
  std::size_t start = 0;
  while (true) {
    const auto comma = lhs.find(',', start);
    auto term = parse_term(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!term) return unexpected(std::move(term.error()));
    eq.inputs.push_back(std::move(*term));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (arrow != std::string::npos) {
    auto out = parse_term(text.substr(arrow + 2));
    if (!out) return unexpected(std::move(out.error()));
    eq.output = std::move(*out);
  }
  return eq;
}

class Einsum final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<runtime::Kernel>, std::string> create(const runtime::KernelInit& init) {
    auto equation = string_attr(init.node, "equation", "");
    if (!equation) return unexpected(std::move(equation.error()));
    auto eq = parse_equation(*equation);
    if (!eq) return unexpected("attribute 'equation' = '" + std::string(*equation) + "': " + eq.error());
    return std::unique_ptr<runtime::Kernel>(std::make_unique<Einsum>(std::move(*eq)));
  }
  explicit Einsum(Equation eq) : eq_(std::move(eq)) {}

  OpResult compute(Invocation& inv) override {
    OpResult result;
    if (inv.input_count() != eq_.inputs.size()) return invalid_value("the equation and the inputs differ in number");
    std::vector<const Tensor*> xs;
    for (std::uint32_t i = 0; i < inv.input_count(); ++i) {
      const Tensor* x = tensor_in(inv, i, result);
      if (x == nullptr) return result;
      if (x->dtype() != tensor_in(inv, 0, result)->dtype())
        return OpResult::fail(Reason::kTypeMismatch, "input " + std::to_string(i) + " has element type " +
                                                         runtime::to_string(x->dtype()) + ", input 0 another");
      xs.push_back(x);
    }
    // Each input's dims as labels, and each label's size.
    std::size_t ellipsis_rank = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const Term& t = eq_.inputs[i];
      const std::size_t named = t.letters_before.size() + t.letters_after.size();
      if (xs[i]->rank() < named || (!t.ellipsis && xs[i]->rank() != named))
        return shape_mismatch("input " + std::to_string(i) + " of shape " + runtime::shape_text(xs[i]->shape()) +
                              " does not fit its term (" + std::to_string(named) + " labels)");
      ellipsis_rank = std::max(ellipsis_rank, xs[i]->rank() - named);
    }
    std::vector<std::int64_t> size(kLetters + ellipsis_rank, -1);
    std::vector<std::vector<int>> labels(xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) {
      labels[i] = expand(eq_.inputs[i], xs[i]->rank(), ellipsis_rank);
      for (std::size_t d = 0; d < labels[i].size(); ++d) {
        std::int64_t& s = size[static_cast<std::size_t>(labels[i][d])];
        const std::int64_t dim = xs[i]->dim(d);
        const bool broadcastable = labels[i][d] >= kLetters;
        if (s == -1 || (broadcastable && s == 1)) {
          s = dim;
        } else if (s != dim && !(broadcastable && dim == 1)) {
          return shape_mismatch("input " + std::to_string(i) + " of shape " + runtime::shape_text(xs[i]->shape()) +
                                ": label size " + std::to_string(dim) + " differs from " + std::to_string(s) +
                                " elsewhere in the equation");
        }
      }
    }
    // The output's labels: given, or the ellipsis then every letter used once, sorted.
    std::vector<int> out_labels;
    if (eq_.output) {
      out_labels = expand(*eq_.output, eq_.output->letters_before.size() + eq_.output->letters_after.size() +
                                           (eq_.output->ellipsis ? ellipsis_rank : 0),
                          ellipsis_rank);
    } else {
      for (std::size_t k = 0; k < ellipsis_rank; ++k) out_labels.push_back(kLetters + static_cast<int>(k));
      std::array<int, kLetters> uses{};
      for (const auto& ls : labels)
        for (int l : ls)
          if (l < kLetters) ++uses[static_cast<std::size_t>(l)];
      for (int l = 0; l < kLetters; ++l)
        if (uses[static_cast<std::size_t>(l)] == 1) out_labels.push_back(l);
    }
    std::vector<bool> is_out(size.size(), false);
    Shape out_shape;
    for (int l : out_labels) {
      if (size[static_cast<std::size_t>(l)] < 0 || is_out[static_cast<std::size_t>(l)])
        return invalid_value("the output term names a label no input has, or one label twice");
      is_out[static_cast<std::size_t>(l)] = true;
      out_shape.push_back(size[static_cast<std::size_t>(l)]);
    }
    // Every label in loop order (output first), with each input's stride for it.
    std::vector<int> order = out_labels;
    for (std::size_t l = 0; l < size.size(); ++l)
      if (size[l] >= 0 && !is_out[l]) order.push_back(static_cast<int>(l));
    std::vector<std::vector<std::int64_t>> strides(xs.size(), std::vector<std::int64_t>(order.size(), 0));
    for (std::size_t i = 0; i < xs.size(); ++i) {
      std::int64_t stride = 1;
      for (std::size_t d = labels[i].size(); d-- > 0;) {
        const auto at = std::find(order.begin(), order.end(), labels[i][d]) - order.begin();
        if (xs[i]->dim(d) != 1) strides[i][static_cast<std::size_t>(at)] += stride;
        stride *= xs[i]->dim(d);
      }
    }
    std::vector<std::int64_t> extent;
    for (int l : order) extent.push_back(size[static_cast<std::size_t>(l)]);

    Tensor out;
    const bool known = dispatch_numeric(xs[0]->dtype(), [&](auto tag) {
      using T = decltype(tag);
      using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
      out = Tensor::zeros(xs[0]->dtype(), out_shape);
      T* y = out.mutable_data<T>();
      if (out.size() == 0) return;
      std::int64_t total = 1;
      for (auto e : extent) total *= e;
      const std::int64_t per_output = total / out.size();
      std::vector<std::int64_t> index(order.size(), 0), offset(xs.size(), 0);
      for (std::int64_t o = 0; o < out.size(); ++o) {
        Acc sum{0};
        for (std::int64_t r = 0; r < per_output; ++r) {
          Acc product{1};
          for (std::size_t i = 0; i < xs.size(); ++i) product *= static_cast<Acc>(xs[i]->data<T>()[offset[i]]);
          sum += product;
          step(index, extent, strides, offset);
        }
        y[o] = static_cast<T>(sum);
      }
    });
    if (!known) return type_mismatch("input 0", xs[0]->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  // A term's labels for a tensor of `rank` dims, "..." standing for the last dims of the
  // equation's ellipsis labels.
  static std::vector<int> expand(const Term& t, std::size_t rank, std::size_t ellipsis_rank) {
    std::vector<int> out = t.letters_before;
    const std::size_t e = rank - t.letters_before.size() - t.letters_after.size();
    for (std::size_t k = ellipsis_rank - e; k < ellipsis_rank; ++k) out.push_back(kLetters + static_cast<int>(k));
    out.insert(out.end(), t.letters_after.begin(), t.letters_after.end());
    return out;
  }
  // Advances the label odometer (last label fastest), keeping the input offsets in step.
  static void step(std::vector<std::int64_t>& index, const std::vector<std::int64_t>& extent,
                   const std::vector<std::vector<std::int64_t>>& strides, std::vector<std::int64_t>& offset) {
    for (std::size_t d = index.size(); d-- > 0;) {
      if (++index[d] < extent[d]) {
        for (std::size_t i = 0; i < offset.size(); ++i) offset[i] += strides[i][d];
        return;
      }
      for (std::size_t i = 0; i < offset.size(); ++i) offset[i] -= strides[i][d] * (extent[d] - 1);
      index[d] = 0;
    }
  }

  Equation eq_;
};

const OpRegistrar kEinsum{"", "Einsum", OpsetRange{12}, kCompute, &Einsum::create, NumericTypes::kNames};

}  // namespace
}  // namespace bb::ops::onnx_ops
