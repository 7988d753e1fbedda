// The loader's side of ai.onnx compute graphs, with this binary's own small kernels
// (it links bb::runtime only, so no kernel of ops/ is registered): kernels resolved by
// the model's opset import, the types shape inference gives KernelInit, and function
// inlining (model-local functions, ONNX function ops without a kernel).
#include <gtest/gtest.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <string>
#include <vector>

#include "bb/ir/names.h"
#include "bb/runtime/clock.h"
#include "bb/runtime/node.h"
#include "bb/runtime/program.h"
#include "bb/runtime/registry.h"
#include "bb/runtime/scheduler.h"
#include "graph_builder.h"

namespace bb::testing {
namespace {

using runtime::DType;
using runtime::Invocation;
using runtime::KernelInit;
using runtime::OpResult;
using runtime::OpsetRange;
using runtime::Tensor;
using runtime::TensorInfo;
using runtime::Value;

// What each kernel saw at construction.
struct Seen {
  std::string op, name, version;
  int opset = 0;
  std::vector<TensorInfo> inputs, outputs;
};
std::vector<Seen>& seen() {
  static std::vector<Seen> all;
  return all;
}

// A float kernel applying f element-wise to input 0 (and input 1 when binary: same
// shapes, or a scalar second input).
template <class Derived>
class FloatKernel : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Derived>, std::string> create(const KernelInit& init) {
    seen().push_back({init.node.op_type(), init.node.name(), Derived::kVersion, init.opset,
                      {init.inputs.begin(), init.inputs.end()}, {init.outputs.begin(), init.outputs.end()}});
    return std::make_unique<Derived>(init);
  }
  OpResult compute(Invocation& inv) override {
    const Tensor& a = inv.in(0).as_tensor();
    Tensor out = Tensor::allocate(DType::kFloat, a.shape());
    const float* x = a.data<float>();
    const float* y = inv.input_count() > 1 ? inv.in(1).as_tensor().data<float>() : nullptr;
    const bool scalar = inv.input_count() > 1 && inv.in(1).as_tensor().size() == 1;
    float* o = out.mutable_data<float>();
    for (std::int64_t i = 0; i < a.size(); ++i)
      o[i] = static_cast<Derived*>(this)->apply(x[i], y == nullptr ? 0.0f : y[scalar ? 0 : i]);
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }
};

float attribute(const KernelInit& init, const std::string& name, float fallback) {
  for (const auto& a : init.node.attribute())
    if (a.name() == name) return a.f();
  return fallback;
}

struct ReluOld final : FloatKernel<ReluOld> {
  static constexpr const char* kVersion = "6-12";
  explicit ReluOld(const KernelInit&) {}
  float apply(float x, float) const { return std::max(x, 0.0f); }
};
struct ReluNew final : FloatKernel<ReluNew> {
  static constexpr const char* kVersion = "13+";
  explicit ReluNew(const KernelInit&) {}
  float apply(float x, float) const { return std::max(x, 0.0f); }
};
struct Add final : FloatKernel<Add> {
  static constexpr const char* kVersion = "all";
  explicit Add(const KernelInit&) {}
  float apply(float x, float y) const { return x + y; }
};
struct Mul final : FloatKernel<Mul> {
  static constexpr const char* kVersion = "all";
  explicit Mul(const KernelInit&) {}
  float apply(float x, float y) const { return x * y; }
};
struct HardSigmoid final : FloatKernel<HardSigmoid> {
  static constexpr const char* kVersion = "all";
  explicit HardSigmoid(const KernelInit& init)
      : alpha(attribute(init, "alpha", 0.2f)), beta(attribute(init, "beta", 0.5f)) {}
  float apply(float x, float) const { return std::clamp(alpha * x + beta, 0.0f, 1.0f); }
  float alpha, beta;
};
// Celu has a function body; this kernel must win over it.
struct Celu final : FloatKernel<Celu> {
  static constexpr const char* kVersion = "all";
  explicit Celu(const KernelInit&) {}
  float apply(float, float) const { return 42.0f; }
};

const runtime::OpRegistrar kReluOld{ir::kOnnxDomain, "Relu", OpsetRange{6, 12}, ir::OpKind::kCompute,
                                    &runtime::make_kernel<ReluOld>};
const runtime::OpRegistrar kReluNew{ir::kOnnxDomain, "Relu", OpsetRange{13, OpsetRange::kLatestOpset},
                                    ir::OpKind::kCompute, &runtime::make_kernel<ReluNew>};
const runtime::OpRegistrar kAdd{ir::kOnnxDomain, "Add", ir::OpKind::kCompute, &runtime::make_kernel<Add>};
const runtime::OpRegistrar kMul{ir::kOnnxDomain, "Mul", ir::OpKind::kCompute, &runtime::make_kernel<Mul>};
const runtime::OpRegistrar kHardSigmoid{ir::kOnnxDomain, "HardSigmoid", ir::OpKind::kCompute,
                                        &runtime::make_kernel<HardSigmoid>};
const runtime::OpRegistrar kCelu{ir::kOnnxDomain, "Celu", ir::OpKind::kCompute, &runtime::make_kernel<Celu>};

// Kernels that are only constructed (the type tests load, they do not run).
struct Idle final : runtime::Kernel {
  static Expected<std::unique_ptr<Idle>, std::string> create(const KernelInit&) { return std::make_unique<Idle>(); }
  OpResult compute(Invocation&) override { return OpResult::ok(); }
};
const runtime::OpRegistrar kCast{ir::kOnnxDomain, "Cast", ir::OpKind::kCompute, &runtime::make_kernel<Idle>};
const runtime::OpRegistrar kIdentity{ir::kOnnxDomain, "Identity", ir::OpKind::kCompute, &runtime::make_kernel<Idle>};
const runtime::OpRegistrar kShape{ir::kOnnxDomain, "Shape", ir::OpKind::kCompute, &runtime::make_kernel<Idle>};
const runtime::OpRegistrar kOpaque{"local.opaque", "Opaque", ir::OpKind::kCompute, &runtime::make_kernel<Idle>};

constexpr std::string_view kLocal = "local.test";

// A compute graph: opset imports, typed float inputs and outputs.
class Model {
 public:
  explicit Model(int onnx_opset = 13) {
    model_.set_ir_version(8);
    import(ir::kOnnxDomain, onnx_opset);
    model_.mutable_graph()->set_name("compute");
  }
  Model& import(std::string_view domain, int version) {
    auto* op = model_.add_opset_import();
    op->set_domain(std::string(domain));
    op->set_version(version);
    return *this;
  }
  Model& input(const std::string& name, std::vector<std::int64_t> dims) {
    typed(model_.mutable_graph()->add_input(), name, dims);
    return *this;
  }
  Model& output(const std::string& name, std::vector<std::int64_t> dims, int type = onnx::TensorProto::FLOAT) {
    typed(model_.mutable_graph()->add_output(), name, dims, type);
    return *this;
  }
  onnx::NodeProto& node(std::string_view op, std::string name, std::vector<std::string> in,
                        std::vector<std::string> out, std::string_view domain = ir::kOnnxDomain) {
    return add(model_.mutable_graph()->add_node(), op, std::move(name), in, out, domain);
  }
  onnx::FunctionProto& function(std::string name, std::vector<std::string> in, std::vector<std::string> out) {
    auto* f = model_.add_functions();
    f->set_domain(std::string(kLocal));
    f->set_name(std::move(name));
    for (auto& i : in) f->add_input(i);
    for (auto& o : out) f->add_output(o);
    auto* op = f->add_opset_import();
    op->set_domain("");
    op->set_version(13);
    return *f;
  }
  static onnx::NodeProto& add(onnx::NodeProto* n, std::string_view op, std::string name,
                              const std::vector<std::string>& in, const std::vector<std::string>& out,
                              std::string_view domain = ir::kOnnxDomain) {
    n->set_op_type(std::string(op));
    n->set_domain(std::string(domain));
    n->set_name(std::move(name));
    for (const auto& i : in) n->add_input(i);
    for (const auto& o : out) n->add_output(o);
    return *n;
  }
  static void set_float(onnx::NodeProto& n, const std::string& name, float v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void refer(onnx::NodeProto& n, const std::string& name, const std::string& ref) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_ref_attr_name(ref);
  }
  onnx::ModelProto compiled() const {
    onnx::ModelProto m = model_;
    ir::write_passport(m, ir::Passport{std::string(ir::kPassportVersion), "bbc test", {"validate", "stamp-passport"},
                                       ir::graph_digest(m)});
    return m;
  }

 private:
  static void typed(onnx::ValueInfoProto* v, const std::string& name, const std::vector<std::int64_t>& dims,
                    int type = onnx::TensorProto::FLOAT) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(type);
    auto* shape = t->mutable_shape();
    for (auto d : dims) shape->add_dim()->set_dim_value(d);
  }
  onnx::ModelProto model_;
};

Value floats(std::vector<float> v) {
  return Value::tensor(Tensor::vector<float>(std::span<const float>(v.data(), v.size())));
}

// Loads and runs the static run with `inputs`; the values of the graph outputs.
struct Outcome {
  std::shared_ptr<const runtime::Program> program;
  std::vector<std::vector<float>> outputs;
  std::string error;
};
Outcome run(const Model& model, std::vector<std::pair<std::string, Value>> inputs) {
  Outcome r;
  auto program = runtime::Program::build(model.compiled(), "c.bb");
  if (!program) {
    r.error = program.error().message;
    return r;
  }
  r.program = *program;
  runtime::VirtualClock clock;
  runtime::Scheduler scheduler(clock);
  runtime::NodeConfig config;
  config.peer = *PeerId::identity("local");
  config.inputs = std::move(inputs);
  auto node = runtime::Node::create(*program, scheduler, std::move(config));
  if (!node) {
    r.error = node.error().message;
    return r;
  }
  (*node)->start();
  for (std::size_t k = 0; k < (*program)->graph_outputs().size(); ++k) {
    const Value& v = (*node)->output(k);
    if (!v.has_value()) {
      r.outputs.emplace_back();
      continue;
    }
    auto values = v.as_tensor().values<float>();
    r.outputs.emplace_back(values.begin(), values.end());
  }
  return r;
}

class ComputeLoader : public ::testing::Test {
 protected:
  void SetUp() override { seen().clear(); }
};

// ---- Resolve by opset ------------------------------------------------------------------

TEST_F(ComputeLoader, KernelsAreChosenByTheModelsOpsetImport) {
  for (auto [opset, version] : {std::pair{11, "6-12"}, {13, "13+"}, {17, "13+"}}) {
    Model m(opset);
    m.input("x", {3}).output("y", {3});
    m.node("Relu", "r", {"x"}, {"y"});
    const Outcome r = run(m, {{"x", floats({-1, 0, 2})}});
    ASSERT_TRUE(r.error.empty()) << r.error;
    ASSERT_EQ(seen().size(), 1u);
    EXPECT_EQ(seen()[0].version, version) << "opset " << opset;
    EXPECT_EQ(seen()[0].opset, opset);
    EXPECT_EQ(r.outputs[0], (std::vector<float>{0, 0, 2}));
    seen().clear();
  }
}

TEST_F(ComputeLoader, AnOpsetWithoutAKernelNamesTheVersionsThisBuildHas) {
  Model m(5);
  m.input("x", {3}).output("y", {3});
  m.node("Relu", "r", {"x"}, {"y"});
  const Outcome r = run(m, {{"x", floats({1, 2, 3})}});
  EXPECT_NE(r.error.find("c.bb: node 'r' (Relu #0): error: no kernel for 'ai.onnx::Relu' at opset 5 "
                         "(this build has opsets 6-12, 13+)"),
            std::string::npos)
      << r.error;
}

TEST_F(ComputeLoader, TheAiOnnxSpellingOfTheDomainIsTheSameDomain) {
  Model m(13);
  m.input("x", {2}).output("y", {2});
  m.node("Relu", "r", {"x"}, {"y"}, ir::kOnnxDomainAlias);
  const Outcome r = run(m, {{"x", floats({-1, 1})}});
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.outputs[0], (std::vector<float>{0, 1}));
}

// ---- Types at construction -------------------------------------------------------------

TEST_F(ComputeLoader, KernelsGetTheInferredTypesAndShapes) {
  Model m(13);
  m.input("x", {2, 3}).input("b", {2, 3}).output("z", {2, 3});
  m.node("Relu", "r", {"x"}, {"y"});
  m.node("Add", "a", {"y", "b"}, {"z"});
  const Outcome r = run(m, {{"x", floats({1, 2, 3, 4, 5, 6})}, {"b", floats({1, 1, 1, 1, 1, 1})}});
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_TRUE(r.program->typed());
  ASSERT_EQ(seen().size(), 2u);
  for (const auto& s : seen()) {
    for (const auto* list : {&s.inputs, &s.outputs})
      for (const auto& info : *list) {
        EXPECT_EQ(info.type, DType::kFloat) << s.name;
        EXPECT_TRUE(info.has_shape) << s.name;
        EXPECT_EQ(info.dims, (runtime::Shape{2, 3})) << s.name;
      }
  }
  EXPECT_EQ(seen()[1].inputs.size(), 2u);  // the intermediate 'y' is typed too
}

TEST_F(ComputeLoader, AGraphShapeInferenceRefusesStillLoadsWithoutTypes) {
  // The declared output type contradicts what inference finds: libonnx throws.
  Model m(13);
  m.input("x", {3}).output("y", {3}, onnx::TensorProto::INT64);
  m.node("Relu", "r", {"x"}, {"y"});
  const Outcome r = run(m, {{"x", floats({-1, 0, 1})}});
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_FALSE(r.program->inference_error().empty());
  EXPECT_EQ(r.outputs[0], (std::vector<float>{0, 0, 1}));
}

TEST_F(ComputeLoader, InferenceSkipsOnlyNodesThatTypeNothingAndFindsTheTypesOfTheWholeGraph) {
  // An op without an ONNX schema makes an untyped value `u`. Relu and Identity of it type
  // nothing (left out of inference), Cast and Shape of it type their outputs from the op
  // alone (kept), and what reads a typed value is kept. The types each slot gets must be
  // those of shape inference over the whole graph.
  Model m(13);
  m.import("local.opaque", 1);
  m.input("x", {2, 3}).input("b", {2, 3}).output("z", {2, 3});
  m.node("Opaque", "o", {"x"}, {"u"}, "local.opaque");
  m.node("Relu", "r", {"u"}, {"ru"});
  m.node("Identity", "i", {"ru"}, {"iu"});
  auto& cast = m.node("Cast", "c", {"u"}, {"cu"});
  auto* to = cast.add_attribute();
  to->set_name("to");
  to->set_type(onnx::AttributeProto::INT);
  to->set_i(onnx::TensorProto::INT64);
  m.node("Shape", "s", {"u"}, {"su"});
  m.node("Identity", "ic", {"cu"}, {"icu"});
  m.node("Relu", "r2", {"x"}, {"y"});
  m.node("Add", "a", {"y", "b"}, {"z"});
  m.node("Relu", "r3", {"u"}, {"ru3"});  // a second untyped Relu: the same kind, not tried again
  auto program = runtime::Program::build(m.compiled(), "c.bb");
  ASSERT_TRUE(program) << program.error().message;
  const runtime::Program& p = **program;
  ASSERT_TRUE(p.typed());

  onnx::GraphProto whole = m.compiled().graph();
  std::unordered_map<std::string, int> opsets{{"", 13}, {"local.opaque", 1}};
  onnx::ShapeInferenceOptions options(false, 0, true);
  onnx::shape_inference::InferShapes(&whole, opsets, onnx::OpSchemaRegistry::Instance(), options);
  std::map<std::string, const onnx::TypeProto*> expected;
  for (const auto* list : {&whole.value_info(), &whole.output()})
    for (const auto& vi : *list) expected[vi.name()] = &vi.type();

  std::size_t typed = 0;
  for (std::uint32_t i = 0; i < p.nodes().size(); ++i) {
    const auto& pn = p.nodes()[i];
    const std::string& name = pn.proto->output(0);
    const TensorInfo& got = p.slot_type(pn.output_begin);
    auto it = expected.find(name);
    if (it == expected.end() || !it->second->has_tensor_type()) {
      EXPECT_FALSE(got.known()) << name;
      continue;
    }
    const auto& t = it->second->tensor_type();
    EXPECT_EQ(static_cast<int>(got.type), t.elem_type()) << name;
    EXPECT_EQ(got.has_shape, t.has_shape()) << name;
    if (t.has_shape()) {
      ASSERT_EQ(got.dims.size(), static_cast<std::size_t>(t.shape().dim_size())) << name;
      for (int d = 0; d < t.shape().dim_size(); ++d)
        EXPECT_EQ(got.dims[static_cast<std::size_t>(d)],
                  t.shape().dim(d).has_dim_value() ? t.shape().dim(d).dim_value() : -1)
            << name << " dim " << d;
    }
    ++typed;
  }
  // What the whole-graph inference types: Cast's and Shape's outputs from their ops, the
  // Identity after the Cast, and the typed chain.
  EXPECT_EQ(p.slot_type(p.nodes()[3].output_begin).type, DType::kInt64);
  EXPECT_EQ(p.slot_type(p.nodes()[4].output_begin).type, DType::kInt64);
  EXPECT_FALSE(p.slot_type(p.nodes()[1].output_begin).known());
  EXPECT_EQ(typed, 5u);
}

// ---- Function inlining -----------------------------------------------------------------

TEST_F(ComputeLoader, AnOnnxFunctionOpWithoutAKernelIsExpandedFromItsBody) {
  // HardSwish (opset 14) has no kernel here: its body is HardSigmoid<1/6, 1/2> and Mul.
  Model m(14);
  m.input("x", {4}).output("y", {4});
  m.node("HardSwish", "hs", {"x"}, {"y"});
  const Outcome r = run(m, {{"x", floats({-4, -1, 0.5f, 4})}});
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.outputs.size(), 1u);
  const std::vector<float> x{-4, -1, 0.5f, 4};
  for (std::size_t i = 0; i < x.size(); ++i)
    EXPECT_NEAR(r.outputs[0][i], x[i] * std::clamp(x[i] / 6 + 0.5f, 0.0f, 1.0f), 1e-6) << i;
  const auto& graph = r.program->graph();
  ASSERT_GE(graph.node_size(), 2);
  for (const auto& node : graph.node()) EXPECT_EQ(node.name().rfind("hs/", 0), 0u) << node.name();
  EXPECT_EQ(r.program->model().graph().node_size(), 1);  // the model itself is untouched
}

TEST_F(ComputeLoader, AKernelWinsOverTheFunctionBody) {
  Model m(13);
  m.input("x", {2}).output("y", {2});
  m.node("Celu", "c", {"x"}, {"y"});
  const Outcome r = run(m, {{"x", floats({1, 2})}});
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.outputs[0], (std::vector<float>{42, 42}));
  EXPECT_EQ(r.program->graph().node_size(), 1);
}

TEST_F(ComputeLoader, ModelLocalFunctionsExpandRecursivelyWithAttributesAndFreshNames) {
  // Scale<factor>(x) = HardSigmoid<alpha = factor, beta = 0>(x);
  // Twice<f>(x) = Add(x, Scale<factor = f>(x)). Called twice: the inner names stay unique.
  Model m(13);
  m.import(kLocal, 1);
  auto& scale = m.function("Scale", {"x"}, {"s"});
  scale.add_attribute("factor");
  auto& hs = Model::add(scale.add_node(), "HardSigmoid", "clamp", {"x"}, {"s"});
  Model::refer(hs, "alpha", "factor");
  Model::set_float(hs, "beta", 0.0f);
  auto& twice = m.function("Twice", {"x"}, {"y"});
  twice.add_attribute("f");
  auto* op = twice.add_opset_import();
  op->set_domain(std::string(kLocal));
  op->set_version(1);
  auto& call = Model::add(twice.add_node(), "Scale", "scale", {"x"}, {"t"}, kLocal);
  Model::refer(call, "factor", "f");
  Model::add(twice.add_node(), "Add", "sum", {"x", "t"}, {"y"});
  m.input("x", {3}).output("y1", {3}).output("y2", {3});
  Model::set_float(m.node("Twice", "first", {"x"}, {"y1"}, kLocal), "f", 0.5f);
  Model::set_float(m.node("Twice", "second", {"x"}, {"y2"}, kLocal), "f", 0.25f);
  const Outcome r = run(m, {{"x", floats({0.5f, 1, 4})}});
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.outputs[0], (std::vector<float>{0.75f, 1.5f, 5}));
  EXPECT_EQ(r.outputs[1], (std::vector<float>{0.625f, 1.25f, 5}));
  std::vector<std::string> names;
  for (const auto& node : r.program->graph().node()) names.push_back(node.name());
  EXPECT_EQ(names, (std::vector<std::string>{"first/scale/clamp", "first/sum", "second/scale/clamp", "second/sum"}));
}

TEST_F(ComputeLoader, AFunctionThatCallsItselfIsRefusedAsACycle) {
  Model m(13);
  m.import(kLocal, 1);
  auto& f = m.function("Forever", {"x"}, {"y"});
  auto* op = f.add_opset_import();
  op->set_domain(std::string(kLocal));
  op->set_version(1);
  Model::add(f.add_node(), "Forever", "again", {"x"}, {"y"}, kLocal);
  m.input("x", {1}).output("y", {1});
  m.node("Forever", "loop", {"x"}, {"y"}, kLocal);
  const Outcome r = run(m, {{"x", floats({1})}});
  EXPECT_NE(r.error.find("c.bb: node 'loop' (Forever): function 'local.test::Forever' calls itself"),
            std::string::npos)
      << r.error;
}

// ---- Graph inputs ----------------------------------------------------------------------

TEST_F(ComputeLoader, AGraphInputWithoutAValueIsALoadErrorNamingEachOne) {
  Model m(13);
  m.input("x", {2}).input("b", {2}).output("y", {2});
  m.node("Add", "a", {"x", "b"}, {"y"});
  const Outcome r = run(m, {});
  EXPECT_NE(r.error.find("c.bb: graph input 'x': error: no value given and no initializer"), std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("graph input 'b'"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace bb::testing
