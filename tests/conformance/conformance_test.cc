// The conformance suite: every ONNX backend test model of libonnx-testdata, one ctest
// test per folder (node, pytorch-converted, pytorch-operator, simple). Each prints
// "N of M <folder> tests pass", the most common reasons for the rest, and the tests that
// pass but are not in expected_pass.txt; a listed test that fails fails the ctest test.
//
// BB_CONFORMANCE_UPDATE=1 adds every passing test to expected_pass.txt instead
// (tests/conformance/update_expected.sh); the list only grows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../support/temp_dir.h"
#include "../support/testdata.h"
#include "bb/ir/model_io.h"
#include "bb/ir/names.h"
#include "bb/runtime/tensor_proto.h"
#include "conformance.h"

namespace bb::conformance {
namespace {
namespace fs = std::filesystem;

const fs::path kExpectedFile = fs::path(BB_SOURCE_DIR) / "tests/conformance/expected_pass.txt";
constexpr int kTimeoutSeconds = 120;  // per model, generous for the sanitizer build

// The test folders of `folder` (node, simple, …) below the test data root.
std::vector<fs::path> folder_cases(const std::string& folder) {
  std::vector<fs::path> out;
  for (const auto& model : bb::testing::onnx_testdata_models()) {
    const fs::path dir = fs::path(model).parent_path();
    if (dir.parent_path().filename() == folder) out.push_back(dir);
  }
  return out;
}

struct Outcome {
  std::string name;  // <folder>/<test>
  CaseResult result;
};

void print_summary(const std::string& folder, const std::vector<Outcome>& outcomes) {
  std::size_t passed = 0;
  std::map<std::string, std::size_t> by_category;
  for (const auto& o : outcomes) {
    if (o.result.passed)
      ++passed;
    else
      ++by_category[o.result.category];
  }
  std::vector<std::pair<std::size_t, std::string>> ranked;
  for (const auto& [category, n] : by_category) ranked.emplace_back(n, category);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::cout << passed << " of " << outcomes.size() << " " << folder << " tests pass\n";
  if (!ranked.empty()) std::cout << "most common reasons for the rest:\n";
  for (std::size_t i = 0; i < ranked.size() && i < 10; ++i)
    std::cout << "  " << ranked[i].first << "  " << ranked[i].second << "\n";
}

// name<TAB>pass|fail<TAB>reason per test, for looking at the failures.
void write_results(const std::string& folder, const std::vector<Outcome>& outcomes) {
  const fs::path dir = fs::path(BB_BINARY_DIR) / "conformance";
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::ofstream out(dir / (folder + ".tsv"));
  for (const auto& o : outcomes)
    out << o.name << '\t' << (o.result.passed ? "pass" : "fail") << '\t' << o.result.reason << '\n';
}

class Conformance : public ::testing::TestWithParam<std::string> {};

TEST_P(Conformance, ListedTestsPass) {
  const std::string folder = GetParam();
  const auto cases = folder_cases(folder);
  ASSERT_FALSE(cases.empty()) << "no models below " << bb::testing::kOnnxTestDataDir << "/" << folder
                              << " [hint: install libonnx-testdata (tools/deps.sh)]";
  std::set<std::string> expected = read_expected(kExpectedFile);
  std::vector<Outcome> outcomes;
  std::vector<std::string> unlisted;
  for (const auto& dir : cases) {
    const std::string name = folder + "/" + dir.filename().string();
    CaseResult r = run_case_isolated(dir, kTimeoutSeconds);
    const bool listed = expected.contains(name);
    if (listed && !r.passed) ADD_FAILURE() << name << " is in expected_pass.txt but fails: " << r.reason;
    // Never a crash or a hang, listed or not.
    if (r.category == "crashed" || r.category == "timed out") ADD_FAILURE() << name << ": " << r.reason;
    if (!listed && r.passed) unlisted.push_back(name);
    outcomes.push_back({name, std::move(r)});
  }
  print_summary(folder, outcomes);
  write_results(folder, outcomes);
  if (!unlisted.empty()) {
    std::cout << unlisted.size() << " passing test(s) not in tests/conformance/expected_pass.txt "
              << "(add them: tests/conformance/update_expected.sh):\n";
    for (const auto& name : unlisted) std::cout << "  " << name << "\n";
  }
  if (std::getenv("BB_CONFORMANCE_UPDATE") != nullptr && !unlisted.empty()) {
    expected = read_expected(kExpectedFile);  // as it is now, with other folders' additions
    expected.insert(unlisted.begin(), unlisted.end());
    EXPECT_TRUE(write_expected(kExpectedFile, expected)) << "cannot write " << kExpectedFile;
  }
}

INSTANTIATE_TEST_SUITE_P(OnnxBackend, Conformance,
                         ::testing::Values("node", "pytorch-converted", "pytorch-operator", "simple"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

// The comparison itself, on small tensors.
runtime::Tensor floats(std::vector<float> v) {
  return runtime::Tensor::vector<float>(std::span<const float>(v.data(), v.size()));
}

TEST(ConformanceCompare, FloatsWithinTheTolerancesAndNanEqualsNan) {
  EXPECT_FALSE(compare(floats({1.0f, NAN, INFINITY}), floats({1.0005f, NAN, INFINITY})));
  const auto off = compare(floats({1.0f, 2.0f}), floats({1.0f, 2.01f}));
  ASSERT_TRUE(off);
  EXPECT_NE(off->find("element 1"), std::string::npos) << *off;
  EXPECT_TRUE(compare(floats({INFINITY}), floats({-INFINITY})));
  EXPECT_TRUE(compare(floats({NAN}), floats({0.0f})));
  // atol alone for values near zero.
  EXPECT_FALSE(compare(floats({0.0f}), floats({5e-8f})));
  EXPECT_TRUE(compare(floats({0.0f}), floats({5e-7f})));
}

TEST(ConformanceCompare, IntegersExactlyAndTypeAndShapeFirst) {
  const std::vector<std::int64_t> a{1, 2, 3}, b{1, 2, 4};
  const auto ta = runtime::Tensor::vector<std::int64_t>(a), tb = runtime::Tensor::vector<std::int64_t>(b);
  EXPECT_FALSE(compare(ta, ta));
  EXPECT_TRUE(compare(ta, tb));
  const auto type = compare(ta, floats({1, 2, 3}));
  ASSERT_TRUE(type);
  EXPECT_EQ(type->rfind("type:", 0), 0u) << *type;
  const auto shape = compare(floats({1, 2}), floats({1, 2, 3}));
  ASSERT_TRUE(shape);
  EXPECT_EQ(shape->rfind("shape:", 0), 0u) << *shape;
}

// The harness on a test folder of its own: y = PassThrough(x), a bb op every build has.
class ConformanceHarness : public ::testing::Test {
 protected:
  void write_case(std::string_view op_type, const std::vector<float>& input, const std::vector<float>& output) {
    onnx::ModelProto model;
    model.set_ir_version(8);
    auto* import = model.add_opset_import();
    import->set_domain(std::string(ir::kSyscallDomain));
    import->set_version(ir::kSyscallDomainVersion);
    auto* g = model.mutable_graph();
    g->set_name("harness");
    for (auto [list, name] : {std::pair{g->mutable_input(), "x"}, {g->mutable_output(), "y"}}) {
      auto* v = list->Add();
      v->set_name(name);
      auto* t = v->mutable_type()->mutable_tensor_type();
      t->set_elem_type(onnx::TensorProto::FLOAT);
      t->mutable_shape()->add_dim()->set_dim_value(static_cast<std::int64_t>(input.size()));
    }
    auto* node = g->add_node();
    node->set_domain(std::string(ir::kSyscallDomain));
    node->set_op_type(std::string(op_type));
    node->add_input("x");
    node->add_output("y");
    ASSERT_TRUE(ir::write_file_atomic(dir_.path() / "model.onnx", ir::serialize_deterministic(model)));
    fs::create_directories(dir_.path() / "test_data_set_0");
    write_tensor("input_0.pb", input);
    write_tensor("output_0.pb", output);
  }
  void write_tensor(const std::string& file, const std::vector<float>& values) {
    onnx::TensorProto proto = runtime::to_proto(floats(values));
    std::ofstream(dir_.path() / "test_data_set_0" / file, std::ios::binary) << proto.SerializeAsString();
  }
  bb::testing::TempDir dir_;
};

TEST_F(ConformanceHarness, APassingModelPassesInProcessAndIsolated) {
  write_case(ir::kPassThrough, {1, 2, 3}, {1, 2, 3});
  const CaseResult r = run_case(dir_.path());
  EXPECT_TRUE(r.passed) << r.reason;
  const CaseResult isolated = run_case_isolated(dir_.path(), 30);
  EXPECT_TRUE(isolated.passed) << isolated.reason;
}

TEST_F(ConformanceHarness, WrongValuesFailWithTheFirstDifference) {
  write_case(ir::kPassThrough, {1, 2, 3}, {1, 2, 4});
  const CaseResult r = run_case_isolated(dir_.path(), 30);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.category, "wrong values");
  EXPECT_NE(r.reason.find("element 2 expected 4, got 3"), std::string::npos) << r.reason;
}

TEST_F(ConformanceHarness, AModelTheCompilerRefusesFailsWithItsCode) {
  write_case("NoSuchOp", {1}, {1});
  const CaseResult r = run_case_isolated(dir_.path(), 30);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.category, "compile: BB003") << r.reason;
  EXPECT_NE(r.reason.find("NoSuchOp"), std::string::npos) << r.reason;
}

TEST(ConformanceExpectedList, IsSortedAndNamesExistingTests) {
  std::ifstream in(kExpectedFile);
  ASSERT_TRUE(in) << kExpectedFile;
  std::string line, previous;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_LT(previous, line) << "expected_pass.txt is not sorted or has duplicates";
    EXPECT_TRUE(fs::exists(fs::path(bb::testing::kOnnxTestDataDir) / line / "model.onnx")) << line;
    previous = line;
  }
}

}  // namespace
}  // namespace bb::conformance
