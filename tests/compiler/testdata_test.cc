// All 1,072 models of Debian's libonnx-testdata compile: only the passport changes,
// and the output still passes onnx::checker::check_model.
#include <gtest/gtest.h>

#include <onnx/checker.h>

#include "../support/testdata.h"
#include "bb/ir/names.h"
#include "bb/ir/passport.h"
#include "bb/ir/wire_shape.h"
#include "test_util.h"

namespace bb::compiler {
namespace {

void drop_passport(onnx::ModelProto& model) {
  auto* props = model.mutable_metadata_props();
  for (int i = props->size() - 1; i >= 0; --i) {
    const auto& key = props->Get(i).key();
    if (key == ir::kPassportCompiled || key == ir::kPassportCompiler || key == ir::kPassportPasses ||
        key == ir::kPassportDigest)
      props->DeleteSubrange(i, 1);
  }
}

class TestDataCompile : public ::testing::TestWithParam<std::string> {};

TEST_P(TestDataCompile, OnlyThePassportChangesAndTheCheckerAccepts) {
  auto original = ir::load_model(GetParam());
  ASSERT_TRUE(original) << original.error().message;
  auto result = testing::compile(*original, {}, GetParam());
  ASSERT_TRUE(result.ok()) << result.status.message
                           << (result.findings.empty() ? std::string() : format_text(result.findings[0]));
  for (const auto& f : result.findings) EXPECT_NE(f.severity, Severity::kError) << format_text(f);
  auto out = testing::parse_bytes(result.bytes);
  ASSERT_TRUE(ir::read_passport(out));
  EXPECT_NO_THROW(onnx::checker::check_model(out));
  drop_passport(out);
  EXPECT_TRUE(ir::serialize_deterministic(out) == ir::serialize_deterministic(*original))
      << "compile changed more than the passport";
  // Compiling the output again gives the same bytes.
  auto again = testing::compile(testing::parse_bytes(result.bytes), {}, GetParam());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.bytes == result.bytes);
}

INSTANTIATE_TEST_SUITE_P(OnnxTestData, TestDataCompile, ::testing::ValuesIn(bb::testing::onnx_testdata_models()),
                         [](const auto& info) { return bb::testing::testdata_name(info.param); });

}  // namespace
}  // namespace bb::compiler
