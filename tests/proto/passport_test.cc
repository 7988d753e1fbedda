#include "bb/ir/passport.h"

#include <gtest/gtest.h>

#include "bb/ir/model_io.h"
#include "bb/ir/names.h"
#include "bb/ir/sha256.h"
#include "bb/ir/wire_shape.h"

namespace bb::ir {
namespace {

onnx::ModelProto sample_model() {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("test");
  auto* node = model.mutable_graph()->add_node();
  node->set_op_type("Relu");
  node->add_input("x");
  node->add_output("y");
  model.mutable_graph()->set_name("g");
  model.add_functions()->set_name("f");
  return model;
}

TEST(Sha256, KnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.update("a");
  h.update("bc");
  EXPECT_EQ(h.finish_hex(), sha256_hex("abc"));
}

TEST(Passport, DigestCoversOnlyGraphAndFunctions) {
  auto model = sample_model();
  onnx::ModelProto only;
  *only.mutable_graph() = model.graph();
  *only.mutable_functions() = model.functions();
  EXPECT_EQ(graph_digest(model), sha256_hex(serialize_deterministic(only)));
  const auto before = graph_digest(model);
  model.set_producer_name("other");
  set_metadata(model, "k", "v");
  EXPECT_EQ(graph_digest(model), before);
  model.mutable_graph()->mutable_node(0)->set_name("n");
  EXPECT_NE(graph_digest(model), before);
}

TEST(Passport, WriteReadOverwrites) {
  auto model = sample_model();
  EXPECT_FALSE(read_passport(model));
  Passport p{std::string(kPassportVersion), "bbc 0.1.0", {"validate", "stamp-passport"}, "abc"};
  write_passport(model, p);
  write_passport(model, p);
  EXPECT_EQ(model.metadata_props_size(), 4);
  auto back = read_passport(model);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->compiled, kPassportVersion);
  EXPECT_EQ(back->compiler, "bbc 0.1.0");
  EXPECT_EQ(back->passes, (std::vector<std::string>{"validate", "stamp-passport"}));
  EXPECT_TRUE(back->ran("validate"));
  EXPECT_FALSE(back->ran("canonicalize"));
  EXPECT_EQ(back->digest, "abc");
}

}  // namespace
}  // namespace bb::ir
