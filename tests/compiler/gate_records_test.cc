// Gate records (compiler/src/gate_records.h, docs/compiler.md "Gate records"): the bytes
// the writer encodes for a recorded gate are protobuf's serialization of the node it
// stands for, and a compile that records its gates writes exactly the bytes of one
// that inserts nodes (--verify-each materialises them after every pass, so the passes
// after it insert nodes), for every --skip combination and on recompiles.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "bb/ir/model_io.h"
#include "bb/ir/passport.h"
#include "bb/ir/peer_id.h"
#include "bb/ir/wire_shape.h"
#include "body.h"
#include "gate_records.h"
#include "passes/gate_insertion.h"
#include "test_util.h"
#include "wire_index.h"
#include "wire_scan.h"

namespace bb::compiler {
namespace {

namespace fs = std::filesystem;

// Debug builds verify after every pass (PassManager), so their gate passes insert nodes
// and record nothing: the tests below that need records skip there, and run in the
// optimised builds `make test` uses.
#ifdef NDEBUG
constexpr bool kPassesRecordGates = true;
#else
constexpr bool kPassesRecordGates = false;
#endif

// Every gate, static and dynamic destinations (tx), input counts across the one-byte
// varint limit of a repeated field's count, keys and peers whose lengths take one, two
// and three varint bytes.
TEST(GateRecords, EncodingIsProtobufsSerializationOfTheNode) {
  const std::vector<std::string> keys = {"Send_1", std::string(200, 'k'), std::string(20000, 'q')};
  const std::vector<std::string> peers = {PeerId::from_text("id:bob")->bytes(), std::string(130, 'p'),
                                          std::string(17000, 'r')};
  int checked = 0;
  for (const auto& info : ir::kGates) {
    for (const auto& key : keys) {
      for (const std::size_t inputs : {0u, 1u, 3u, 130u}) {
        std::vector<std::string> names;
        for (std::size_t j = 0; j < inputs; ++j) names.push_back(j == 2 ? std::string(300, 'i') : "v" + std::to_string(j));
        std::vector<int> destinations = {-1};  // rx: none
        if (info.tx) destinations = {0, 1, 2, 3};  // the three peers, then dynamic
        for (int d : destinations) {
          GateSpelling gate;
          for (const auto& n : names) gate.inputs.emplace_back(n);
          gate.spell_outputs(info, key, inputs);
          if (d == 3) gate.dynamic = true;
          if (d >= 0 && d < 3) gate.peer = peers[static_cast<std::size_t>(d)];
          google::protobuf::Arena arena;
          const onnx::NodeProto* node = build_gate_node(gate, &arena);
          ASSERT_EQ(node->output_size(), static_cast<int>(inputs));
          EXPECT_EQ(node->name(), ir::gate_node_name(info.op_type, key));
          EXPECT_EQ(node->domain(), ir::kSyscallDomain);
          EXPECT_EQ(ir::read_string_attribute(*node, ir::kAttrSource), key);
          const std::string expected = ir::serialize_deterministic(*node);
          std::string encoded = "prefix";  // appended to what is there
          encode_gate_node(gate, encoded);
          ASSERT_EQ(encoded, "prefix" + expected) << info.op_type << " key " << key.size() << " inputs " << inputs
                                                  << " destination " << d;
          EXPECT_EQ(gate_node_size(gate), expected.size());
          // The size from lengths alone (how the writer sizes a graph before writing it).
          std::size_t input_fields = 0, output_fields = 0;
          for (const auto& n : names) input_fields += name_field_size(n.size());
          for (std::size_t j = 0; j < inputs; ++j) {
            EXPECT_EQ(gate_output_name_size(key.size(), info.out_infix, j), gate.outputs[j].size());
            output_fields += name_field_size(gate.outputs[j].size());
          }
          const auto peer = gate.peer ? std::optional<std::size_t>(gate.peer->size()) : std::nullopt;
          EXPECT_EQ(gate_node_size(info, key.size(), input_fields, output_fields, peer, gate.dynamic), expected.size());
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 2 * 3 * 4 * 4 + 3 * 3 * 4);
}

TEST(GateRecords, OutputNamesAreTheCataloguesAndStayWhileTheStoreGrows) {
  for (const std::size_t j : {0u, 9u, 10u, 12345u}) {
    std::string name = "x";
    append_gate_output_name(name, "Recv_7", "dedup_rx_out", j);
    EXPECT_EQ(name, "x" + ir::gate_output_name("Recv_7", "dedup_rx_out", static_cast<int>(j)));
  }
  NameStore store;
  const std::string_view empty = store.add("");
  EXPECT_TRUE(empty.empty());
  std::vector<std::pair<std::string, std::string_view>> kept;
  for (int i = 0; i < 50000; ++i) {
    std::string name = "value_" + std::to_string(i) + std::string(static_cast<std::size_t>(i % 40), '.');
    kept.emplace_back(name, store.add(name));
  }
  const std::string big(3u << 20, 'b');  // larger than a block
  const std::string_view big_view = store.add(big);
  kept.emplace_back("after", store.add("after"));
  for (const auto& [name, view] : kept) ASSERT_EQ(view, name);
  EXPECT_EQ(big_view, big);
}

// Recorded gates (the default) against gate nodes (--verify-each materialises after every
// pass): the same bytes for every example, every --skip combination, and recompiles of
// each partial output.
TEST(GateRecords, RecordedAndInsertedGatesWriteTheSameBytes) {
  const std::vector<std::string> gates = {"insert-dedup-gate-rx", "insert-peer-health-gate-rx",
                                          "insert-backoff-gate-rx", "insert-peer-health-gate-tx",
                                          "insert-backoff-gate-tx"};
  int compared = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(BB_SOURCE_DIR) / "examples")) {
    if (entry.path().extension() != ".onnxtxt") continue;
    const auto source = testing::parse_text(testing::read_text(entry.path()));
    for (int mask = 0; mask < 32; ++mask) {
      PassOptions recorded, inserted;
      for (int b = 0; b < 5; ++b)
        if ((mask >> b & 1) != 0) recorded.skip.push_back(gates[static_cast<std::size_t>(b)]);
      inserted = recorded;
      inserted.verify_each = true;
      const auto a = testing::compile(source, recorded);
      const auto b = testing::compile(source, inserted);
      ASSERT_TRUE(a.ok()) << entry.path() << " mask " << mask << ": " << a.status.message;
      ASSERT_TRUE(b.ok()) << entry.path() << " mask " << mask << ": " << b.status.message;
      ASSERT_EQ(a.bytes, b.bytes) << entry.path() << " mask " << mask;
      // The model compile_model leaves holds the gates it wrote.
      ++compared;
      if (mask == 0) continue;
      const auto partial = testing::parse_bytes(a.bytes);
      PassOptions again;
      PassOptions again_inserted;
      again_inserted.verify_each = true;
      const auto c = testing::compile(partial, again, "partial.bb");
      const auto d = testing::compile(partial, again_inserted, "partial.bb");
      ASSERT_TRUE(c.ok()) << entry.path() << " mask " << mask << ": " << c.status.message;
      ASSERT_EQ(c.bytes, d.bytes) << entry.path() << " recompile, mask " << mask;
      ++compared;
    }
  }
  EXPECT_GE(compared, 3 * 63);  // three examples at least
}

// compile_model leaves the model holding the gates it wrote (materialised as the index
// goes), unless the caller says it does not need them.
TEST(GateRecords, TheModelAfterCompileHoldsWhatWasWritten) {
  if (!kPassesRecordGates) GTEST_SKIP() << "debug builds verify after every pass: the gates are nodes";
  const auto source =
      testing::parse_text(testing::read_text(fs::path(BB_SOURCE_DIR) / "examples/ping_pong.onnxtxt"));
  onnx::ModelProto model = source;
  DiagnosticEngine diags("ping_pong.onnxtxt");
  std::ostringstream log;
  const auto result = compile_model(model, "ping_pong.onnxtxt", {}, diags, log);
  ASSERT_EQ(result.status.kind, PassStatus::Kind::kOk) << result.status.message;
  EXPECT_EQ(ir::serialize_deterministic(model), result.bytes);

  onnx::ModelProto bare = source;
  PassOptions options;
  options.model_keeps_gates = false;
  DiagnosticEngine bare_diags("ping_pong.onnxtxt");
  const auto bare_result = compile_model(bare, "ping_pong.onnxtxt", options, bare_diags, log);
  ASSERT_EQ(bare_result.status.kind, PassStatus::Kind::kOk);
  EXPECT_EQ(bare_result.bytes, result.bytes);
  EXPECT_LT(bare.graph().node_size(), model.graph().node_size());
}

// A recorded chain that does not hold the contract sends verify-gates to the nodes: a
// compiled Send stamped for PeerHealthGateTx without that gate (its passport does not
// list the pass, so validate lets it through) gets only BackoffGateTx recorded, and the
// failure is the node checker's, the message of a compile that inserts nodes.
TEST(GateRecords, AChainThatBreaksTheContractIsCheckedAsNodes) {
  if (!kPassesRecordGates) GTEST_SKIP() << "debug builds verify after every pass: the gates are nodes";
  testing::ModelBuilder b;
  b.tick();
  b.send({"tick"}, "s");
  PassOptions partial;
  partial.skip = {"insert-peer-health-gate-tx", "insert-backoff-gate-tx"};
  const auto first = testing::compile(b.model(), partial);
  ASSERT_TRUE(first.ok()) << first.status.message;
  auto model = testing::parse_bytes(first.bytes);
  for (auto& node : *model.mutable_graph()->mutable_node())
    if (node.name() == "s") ir::set_int_attribute(node, ir::kStampPeerHealthTx, 1);
  ir::set_metadata(model, ir::kPassportDigest, ir::graph_digest(model));

  const auto recorded = testing::compile(model, {}, "s.bb");
  ASSERT_EQ(recorded.status.kind, PassStatus::Kind::kInternal);
  EXPECT_NE(recorded.status.message.find("the gate passes left a contract violated:"), std::string::npos);
  EXPECT_NE(recorded.status.message.find("Send 's' is not behind PeerHealthGateTx"), std::string::npos)
      << recorded.status.message;
}


// The rx passes' renames of the Recvs' readers may wait for the next rx pass
// (BodyIndex::rename_recorded): the readers keep reading the Recv's outputs while they
// wait, move once to the last gate's outputs, and a tx pass or the index's end (its
// records made nodes) settles what still waits. Either way the graph is the one the
// renames made at once.
TEST(GateRecords, WaitingRxRenamesMoveEachReaderOnce) {
  testing::ModelBuilder b;
  b.recv({"m", "from"}, "inbox");
  b.node("", "Relu", {"m"}, {"y"}, "reader");
  b.send({"m"}, "echo");  // a Send reading a Recv's output: the tx pass settles first
  b.output("y");
  b.output("from");
  const auto name_of = [](Gate gate, int j) { return ir::gate_output_name("inbox", ir::gate_info(gate).out_infix, j); };
  auto reads = [](const onnx::ModelProto& model, std::string_view node) {
    for (const auto& n : model.graph().node())
      if (n.name() == node) return n.input(0);
    return std::string("(no node)");
  };
  std::uint64_t budget = UINT64_MAX;

  onnx::ModelProto waited = b.model();
  {
    WireIndex index(waited, /*ordered=*/true);
    ASSERT_TRUE(index.body(0).can_record(ir::gate_info(Gate::kDedupRx)));
    ASSERT_TRUE(insert_gate(waited, index, Gate::kDedupRx, budget, /*rx_renames_may_wait=*/true));
    ASSERT_TRUE(insert_gate(waited, index, Gate::kPeerHealthRx, budget, true));
    EXPECT_TRUE(index.body(0).renames_wait());
    EXPECT_EQ(reads(waited, "reader"), "m");  // not moved yet
    EXPECT_EQ(waited.graph().output(1).name(), "from");
    ASSERT_TRUE(insert_gate(waited, index, Gate::kBackoffRx, budget, false));
    EXPECT_FALSE(index.body(0).renames_wait());
    EXPECT_EQ(reads(waited, "reader"), name_of(Gate::kBackoffRx, 0));
    EXPECT_EQ(reads(waited, "echo"), name_of(Gate::kBackoffRx, 0));
    EXPECT_EQ(waited.graph().output(1).name(), name_of(Gate::kBackoffRx, 1));
    const auto& uses = index.body(0).uses();
    EXPECT_FALSE(uses.contains("m"));
    EXPECT_FALSE(uses.contains(name_of(Gate::kDedupRx, 0)));  // never a key: the reader skipped it
    ASSERT_TRUE(uses.contains(name_of(Gate::kBackoffRx, 0)));
    EXPECT_EQ(uses.at(name_of(Gate::kBackoffRx, 0)).size(), 2u);  // the Relu and the Send
  }
  onnx::ModelProto at_once = b.model();
  {
    WireIndex index(at_once, true);
    for (Gate gate : {Gate::kDedupRx, Gate::kPeerHealthRx, Gate::kBackoffRx})
      ASSERT_TRUE(insert_gate(at_once, index, gate, budget, false));
  }
  EXPECT_EQ(ir::serialize_deterministic(waited), ir::serialize_deterministic(at_once));

  // Still waiting when a tx pass comes, or when the index goes (its records become nodes).
  onnx::ModelProto tx_after = b.model(), tx_at_once = b.model();
  {
    WireIndex index(tx_after, true);
    ASSERT_TRUE(insert_gate(tx_after, index, Gate::kDedupRx, budget, true));
    ASSERT_TRUE(insert_gate(tx_after, index, Gate::kPeerHealthTx, budget));
    EXPECT_FALSE(index.body(0).renames_wait());
  }
  {
    WireIndex index(tx_at_once, true);
    ASSERT_TRUE(insert_gate(tx_at_once, index, Gate::kDedupRx, budget, false));
    ASSERT_TRUE(insert_gate(tx_at_once, index, Gate::kPeerHealthTx, budget));
  }
  EXPECT_EQ(ir::serialize_deterministic(tx_after), ir::serialize_deterministic(tx_at_once));
  onnx::ModelProto left = b.model(), left_at_once = b.model();
  {
    WireIndex index(left, true);
    ASSERT_TRUE(insert_gate(left, index, Gate::kDedupRx, budget, true));
  }
  {
    WireIndex index(left_at_once, true);
    ASSERT_TRUE(insert_gate(left_at_once, index, Gate::kDedupRx, budget, false));
  }
  EXPECT_EQ(reads(left, "reader"), name_of(Gate::kDedupRx, 0));
  EXPECT_EQ(ir::serialize_deterministic(left), ir::serialize_deterministic(left_at_once));
}

// Validate's scan of the main graph (wire_scan.h) gives the index what its own walk
// finds: the same positions and the same readers, in the same order, for the examples
// as written and as partially compiled (gate nodes in the graph); a graph out of order
// or holding a subgraph is not scanned.
TEST(WireScan, TheIndexFromTheScanIsTheIndexFromTheWalk) {
  std::vector<onnx::ModelProto> models;
  for (const auto& entry : fs::directory_iterator(fs::path(BB_SOURCE_DIR) / "examples")) {
    if (entry.path().extension() != ".onnxtxt") continue;
    models.push_back(testing::parse_text(testing::read_text(entry.path())));
    PassOptions partial;
    partial.skip = {"insert-peer-health-gate-rx", "insert-backoff-gate-tx"};
    const auto compiled = testing::compile(models.back(), partial);
    ASSERT_TRUE(compiled.ok()) << compiled.status.message;
    models.push_back(testing::parse_bytes(compiled.bytes));
  }
  ASSERT_GE(models.size(), 6u);
  for (auto& model : models) {
    DiagnosticEngine diags("m.onnx");
    WireScan scan;
    ASSERT_TRUE(validate_and_scan(model, {}, diags, scan));
    const auto bodies = collect_bodies(model);
    const BodyIndex walked(bodies[0], /*ordered=*/true);
    const BodyIndex scanned(bodies[0], scan);
    EXPECT_EQ(scanned.sends(), walked.sends());
    EXPECT_EQ(scanned.recvs(), walked.recvs());
    EXPECT_EQ(scanned.tx_gates(), walked.tx_gates());
    EXPECT_EQ(scanned.rx_gates(), walked.rx_gates());
    EXPECT_EQ(scanned.uses().size(), walked.uses().size());
    int readers = 0;
    for (const auto& [value, uses] : walked.uses()) {
      auto it = scanned.uses().find(value);
      ASSERT_NE(it, scanned.uses().end()) << value;
      ASSERT_EQ(it->second.size(), uses.size()) << value;
      for (std::size_t k = 0; k < uses.size(); ++k) {
        EXPECT_EQ(it->second[k].node, uses[k].node) << value;
        EXPECT_EQ(it->second[k].slot, uses[k].slot) << value;
        ++readers;
      }
    }
    EXPECT_GT(readers, 0);
  }

  testing::ModelBuilder unordered;
  unordered.sys(ir::kLog, {"x"}, {}, "log");
  unordered.recv({"x", "from"}, "r");
  DiagnosticEngine diags("u.onnx");
  WireScan scan;
  EXPECT_FALSE(validate_and_scan(unordered.model(), {}, diags, scan));
  EXPECT_TRUE(scan.recvs.empty() && scan.readers.empty());
}

}  // namespace
}  // namespace bb::compiler
